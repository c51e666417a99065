#pragma once
// Reading a daemon's /metrics from the tools and tests: a plain HTTP/1.0 GET on
// loopback, the Prometheus text format parsed into samples, sums over label sets, and
// histogram quantiles interpolated inside buckets (as PromQL's histogram_quantile).

#include <cstdint>
#include <map>
#include <string>

namespace anomstream::tools {

// The whole response (status line, headers, body) to GET `path` from 127.0.0.1:`port`,
// or "" if the connection fails.
// `headers` are extra request header lines, each ending in "\r\n".
std::string http_response(std::uint16_t port, const std::string& path, const std::string& headers = "");
// The body of GET `path` from 127.0.0.1:`port`, or "" if the connection fails.
std::string http_get(std::uint16_t port, const std::string& path);

// Samples keyed "name{labels}" exactly as printed.
std::map<std::string, double> parse_metrics(const std::string& text);

// Sum of every sample named `name`, whatever its labels.
double metric_sum(const std::map<std::string, double>& metrics, const std::string& name);
// Sum over the samples named `name` whose labels include every pair of `labels`.
double metric_sum(const std::map<std::string, double>& metrics, const std::string& name,
                  const std::map<std::string, std::string>& labels);

// Quantile q of histogram `name` (its _bucket samples), NaN if it has no observations.
double histogram_quantile(const std::map<std::string, double>& metrics, const std::string& name, double q);

}  // namespace anomstream::tools
