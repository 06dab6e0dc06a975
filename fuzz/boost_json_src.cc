// Boost.JSON compiled into the fuzz build from its headers, so the parser the
// JSON decoders run on carries sanitizers and coverage too (the shipped
// libboost_json.so has neither, which left libFuzzer blind inside parse()).
#include <boost/json/src.hpp>
