// Query Quick Start topic lists (DESIGN 3.4): the "things you can ask me" that the Data
// Messenger shows, one ordered list per project. Validation of the body that replaces a
// list. Pure functions, safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>

#include "domain/validation.h"
#include "util/result.h"

namespace autoql::domain {

constexpr std::size_t kMaxTopics = 50;
constexpr std::size_t kMaxTopicChars = 100;
constexpr std::size_t kMaxQueriesPerTopic = 50;
constexpr std::size_t kMaxTopicQueryChars = 500;

// Validates {"topics":[{"topic": string, "queries": [string]}]} (a top-level
// "project_id" is tolerated; any other member, anywhere, is refused) and returns the
// topics array serialized, in the order given. Topic names are 1-100 characters and
// unique; queries 1-500 characters; at most 50 topics of at most 50 queries.
Result<std::string, FieldErrors> parseTopics(const boost::json::value& body);

}  // namespace autoql::domain
