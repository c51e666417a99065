#include "prometheus_scrape.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace anomstream::tools {

std::string http_response(std::uint16_t port, const std::string& path, const std::string& headers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return "";
  }
  std::string response;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

std::string http_get(std::uint16_t port, const std::string& path) {
  const std::string response = http_response(port, path);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

double metric_sum(const std::map<std::string, double>& metrics, const std::string& name,
                  const std::map<std::string, std::string>& labels) {
  double sum = 0;
  for (const auto& [key, value] : metrics) {
    if (key != name && !key.starts_with(name + "{")) continue;
    bool match = true;
    for (const auto& [label, wanted] : labels) match = match && key.find(label + "=\"" + wanted + "\"") != std::string::npos;
    if (match) sum += value;
  }
  return sum;
}

std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

double metric_sum(const std::map<std::string, double>& metrics, const std::string& name) {
  double sum = 0;
  for (const auto& [key, value] : metrics) {
    if (key == name || key.starts_with(name + "{")) sum += value;
  }
  return sum;
}

double histogram_quantile(const std::map<std::string, double>& metrics, const std::string& name, double q) {
  std::vector<std::pair<double, double>> buckets;  // (upper bound, cumulative count)
  const std::string prefix = name + "_bucket{le=\"";
  for (const auto& [key, value] : metrics) {
    if (!key.starts_with(prefix)) continue;
    const std::string le = key.substr(prefix.size(), key.size() - prefix.size() - 2);
    buckets.emplace_back(le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr), value);
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second == 0) return NAN;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;
      return lower + (le - lower) * (rank - below) / std::max(count - below, 1e-12);
    }
    lower = le;
    below = count;
  }
  return lower;
}

}  // namespace anomstream::tools
