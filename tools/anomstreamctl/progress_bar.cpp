#include "progress_bar.hpp"

#include <unistd.h>

#include <cstdio>

namespace anomstream::tools {

ProgressBar::ProgressBar(std::uint64_t total, std::string label, bool force)
    : total_(total),
      label_(std::move(label)),
      enabled_(force || ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(std::uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(std::uint64_t done) {
  constexpr int WIDTH = 30;
  const double fraction = total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * WIDTH);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(WIDTH - filled), '.');
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%%  %llu/%llu  %.1fk/s ", label_.c_str(), bar.c_str(), fraction * 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), rate / 1000);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  draw(total_);
  std::fputc('\n', stderr);
}

}  // namespace anomstream::tools
