#include "domain/quick_start.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <set>

#include "domain/json_text.h"

namespace autoql::domain {
namespace {

namespace json = boost::json;

std::string at(std::size_t i) {
  return "topics[" + std::to_string(i) + "]";
}

// checkText, and also refusing text of spaces only: it would show as an empty entry.
std::string checkEntry(std::string_view text, std::size_t max_chars) {
  std::string problem = checkText(text, max_chars);
  if (problem.empty() && text.find_first_not_of(' ') == std::string_view::npos) {
    problem = "must not be blank";
  }
  return problem;
}

void checkUnknownMembers(const json::object& object, std::initializer_list<std::string_view> known,
                         const std::string& path, FieldErrors& errors) {
  for (const auto& member : object) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      errors.push_back(
          {path.empty() ? std::string(member.key()) : path + "." + std::string(member.key()),
           "is not a known field"});
    }
  }
}

void checkQueries(const json::value* queries, const std::string& path, FieldErrors& errors) {
  const json::array* list = queries ? queries->if_array() : nullptr;
  if (list == nullptr) {
    errors.push_back({path + ".queries", "must be an array of strings"});
    return;
  }
  if (list->size() > kMaxQueriesPerTopic) {
    errors.push_back(
        {path + ".queries", "must hold at most " + std::to_string(kMaxQueriesPerTopic)});
    return;
  }
  for (std::size_t q = 0; q < list->size() && !full(errors); ++q) {
    const std::string field = path + ".queries[" + std::to_string(q) + "]";
    const json::string* query = (*list)[q].if_string();
    if (query == nullptr) {
      errors.push_back({field, "must be a string"});
    } else if (std::string problem = checkEntry(*query, kMaxTopicQueryChars); !problem.empty()) {
      errors.push_back({field, std::move(problem)});
    }
  }
}

void checkTopic(const json::value& item, std::size_t i, std::set<std::string>& names,
                FieldErrors& errors) {
  const json::object* topic = item.if_object();
  if (topic == nullptr) {
    errors.push_back({at(i), "must be an object with topic and queries"});
    return;
  }
  checkUnknownMembers(*topic, {"topic", "queries"}, at(i), errors);

  const json::value* name = topic->if_contains("topic");
  if (name == nullptr || !name->is_string()) {
    errors.push_back({at(i) + ".topic", "must be a string"});
  } else if (std::string problem = checkEntry(name->get_string(), kMaxTopicChars);
             !problem.empty()) {
    errors.push_back({at(i) + ".topic", std::move(problem)});
  } else if (!names.insert(std::string(name->get_string())).second) {
    errors.push_back({at(i) + ".topic", "repeats an earlier topic"});
  }
  checkQueries(topic->if_contains("queries"), at(i), errors);
}

}  // namespace

Result<std::string, FieldErrors> parseTopics(const json::value& body) {
  FieldErrors errors;
  const json::object* object = body.if_object();
  if (object == nullptr) {
    return FieldErrors{{"", "the body must be a JSON object with topics"}};
  }
  checkUnknownMembers(*object, {"topics", "project_id"}, "", errors);
  const json::value* topics_value = object->if_contains("topics");
  const json::array* topics = topics_value ? topics_value->if_array() : nullptr;
  if (topics == nullptr) {
    errors.push_back({"topics", "must be an array of topics"});
    return errors;
  }
  if (topics->size() > kMaxTopics) {
    errors.push_back({"topics", "must hold at most " + std::to_string(kMaxTopics) + " topics"});
    return errors;
  }

  std::set<std::string> names;
  for (std::size_t i = 0; i < topics->size() && !full(errors); ++i) {
    checkTopic((*topics)[i], i, names, errors);
  }
  if (!errors.empty()) {
    return errors;
  }
  return json::serialize(*topics);
}

}  // namespace autoql::domain
