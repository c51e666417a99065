// Fuzz target: the bytes of an audit log file, through everything that reads one:
//   - read_audit_tail (the daemon at start and `anomstreamctl audit verify`): where the
//     kept entries end and the torn tail begins; checked against its contract (the
//     kept prefix ends at a newline, the torn bytes are exactly the rest);
//   - the daemon's resume after the last kept line (parse_audit_line, then
//     AuditChain::resume_after under the key and under the previous key);
//   - AuditVerifier over the kept lines, as `audit verify` feeds them, holding both keys,
//     from the start of the chain and as a partial chain;
//   - parse_audit_line on every line, and the payload parsers of the entries the log
//     writes about itself (audit_recovered, key_rotated).
// The bytes are written to a file (once created, rewritten per input) because
// read_audit_tail reads a path, as the daemon does.
// Seeds: tests/fuzz/corpus/audit_log (logs written by AuditChain with the two test keys below:
// plain, with a key rotation, with a recovery entry, with a torn tail).

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_events.hpp"
#include "anomstream/triage/audit_verifier.hpp"
#include "audit/audit_tail.hpp"

namespace {

using namespace anomstream;

std::vector<std::byte> test_key(char fill) {
  const std::string text(32, fill);  // the seeds are MACed under these keys
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  return {bytes, bytes + text.size()};
}

void check(bool ok) {
  if (!ok) std::abort();
}

// A file in the temporary directory, rewritten with each input.
class ScratchFile {
 public:
  ScratchFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/anomstream-audit-fuzz-XXXXXX";
    fd_ = ::mkstemp(path_.data());
    check(fd_ >= 0);
  }
  ~ScratchFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& write(std::string_view bytes) {
    check(::ftruncate(fd_, 0) == 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      check(n > 0);
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ScratchFile file;
  static const std::vector<std::vector<std::byte>> keys{test_key('k'), test_key('n')};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The torn-tail reader.
  auto tail = daemon::read_audit_tail(file.write(bytes));
  check(tail.has_value());
  check(tail->size == size && tail->good_bytes <= size);
  check(tail->good_bytes == 0 || bytes[tail->good_bytes - 1] == '\n');
  check(tail->torn == bytes.substr(tail->good_bytes));
  check(tail->last_line.find('\n') == std::string::npos);
  const std::string_view kept = bytes.substr(0, tail->good_bytes);

  // The daemon resuming the chain after the last kept line.
  if (tail->good_bytes > 0 && triage::parse_audit_line(tail->last_line)) {
    for (const auto& key : keys) {
      auto chain = triage::AuditChain::create(key);
      check(chain.has_value());
      if (chain->resume_after(tail->last_line)) {
        (void)chain->prepare(1, "fuzz", "{}");
      }
    }
  }

  // The verifier over the kept lines, strict and partial.
  for (const bool partial : {false, true}) {
    auto verifier = triage::AuditVerifier::create(keys);
    check(verifier.has_value());
    if (partial) verifier->allow_partial_start();
    verifier->start_file();
    for (const auto line : lines_of(kept)) {
      if (!verifier->feed(line)) break;
    }
    check(verifier->ok() == verifier->problem().empty());
  }

  // Every line, kept or torn, through the parsers.
  for (const auto line : lines_of(bytes)) {
    auto entry = triage::parse_audit_line(line);
    if (!entry) continue;
    (void)triage::parse_audit_recovered_payload(entry->payload);
    (void)triage::parse_key_rotated_payload(entry->payload);
  }
  return 0;
}
