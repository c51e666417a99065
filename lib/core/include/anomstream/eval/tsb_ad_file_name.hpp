#pragma once
// The fields TSB-AD encodes in its file names.

#include <cstddef>
#include <optional>
#include <string_view>

namespace anomstream::eval {

// `NNN_<Dataset>_id_<k>_<Domain>_tr_<tr>_1st_<first>.csv` (TSB-AD, NeurIPS 2024).
struct TsbAdFileName {
  // `tr`: length of the training prefix data[:tr] that TSB-AD gives semi-supervised
  // methods (its `int(name.split('.')[0].split('_')[-3])`).
  std::optional<std::size_t> train_end;
  // `1st`: 0-based index of the first row labelled 1.
  std::optional<std::size_t> first_anomaly;
  friend bool operator==(const TsbAdFileName&, const TsbAdFileName&) = default;
};

// Reads `tr` and `1st` from a file name or path: the name (after the last '/') up to
// its first '.', split at '_', where the token `tr` (or `1st`) is followed by a token
// of decimal digits. A field that is absent or malformed stays empty; a name with none
// (any non-TSB-AD file) is valid. Time O(length of the name); never fails.
[[nodiscard]] TsbAdFileName parse_tsb_ad_file_name(std::string_view name) noexcept;

}  // namespace anomstream::eval
