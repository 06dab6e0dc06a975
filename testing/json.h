// Reading the server's JSON answers in tests.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "ledger/ledger.h"
#include "server/http_client.h"

namespace bg::testing {

// The parsed body, or JSON null when it does not parse.
boost::json::value parse_json(const std::string& s);
// The "results" array of a POST /v1/transactions answer (empty if none).
boost::json::array results_of(const std::string& body);
// The string value, or "" for any other kind.
std::string str(const boost::json::value& v);
// The durable tip from GET /v1/blocks/latest (height 0 when it fails).
TipInfo latest_tip(HttpClient& c);

}  // namespace bg::testing
