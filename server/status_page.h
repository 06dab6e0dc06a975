// The live status page served at `GET /` (SPEC §3): one self-contained HTML
// document (inline CSS and JS, no external assets) that polls the JSON API.
#pragma once

#include <string_view>

namespace bg::server {

// The whole page, static for the life of the process. The page reads:
//   GET /v1/status         height, rates, latencies, backend, counters
//                          (fields listed in status_page.cc; any may be absent)
//   GET /v1/blocks/latest  the tip block, and GET /v1/blocks/{h} for the few
//                          before it on first load.
// Serve it with `Content-Type: text/html; charset=utf-8`.
std::string_view status_page_html();

}  // namespace bg::server
