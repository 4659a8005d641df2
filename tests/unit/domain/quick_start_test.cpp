// Query Quick Start validation: the stored order, every limit of DESIGN 3.4, and the
// shapes that must be refused, each with the field it names.
#include "domain/quick_start.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace autoql::domain {
namespace {

namespace json = boost::json;

std::string firstField(const std::string& body) {
  auto parsed = parseTopics(json::parse(body));
  return parsed.ok() ? "<accepted>" : parsed.error().front().field;
}

json::value topicsWith(std::size_t topics, std::size_t queries, std::size_t query_chars) {
  json::array list;
  for (std::size_t t = 0; t < topics; ++t) {
    json::array texts;
    for (std::size_t q = 0; q < queries; ++q) {
      texts.emplace_back(std::string(query_chars, 'q'));
    }
    list.push_back(json::object{{"topic", "T" + std::to_string(t)}, {"queries", texts}});
  }
  return json::object{{"topics", list}};
}

TEST(QuickStart, KeepsTheOrderGiven) {
  const std::string body =
      R"({"topics":[{"topic":"Sales","queries":["Total sales last month","Top 5"]},)"
      R"({"topic":"Inventory","queries":[]}]})";
  auto parsed = parseTopics(json::parse(body));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, json::serialize(json::parse(body).at("topics")));
}

TEST(QuickStart, AcceptsTheLimitsExactly) {
  EXPECT_TRUE(parseTopics(topicsWith(50, 50, 500)).ok());
  EXPECT_FALSE(parseTopics(topicsWith(51, 1, 1)).ok());
  EXPECT_FALSE(parseTopics(topicsWith(1, 51, 1)).ok());
  EXPECT_FALSE(parseTopics(topicsWith(1, 1, 501)).ok());
  EXPECT_TRUE(parseTopics(json::parse(R"({"topics":[]})")).ok());
}

TEST(QuickStart, NamesTheFieldOfEachProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", ""},
      {R"({})", "topics"},
      {R"({"topics":{}})", "topics"},
      {R"({"topics":["Sales"]})", "topics[0]"},
      {R"({"topics":[{"queries":[]}]})", "topics[0].topic"},
      {R"({"topics":[{"topic":"","queries":[]}]})", "topics[0].topic"},
      {R"({"topics":[{"topic":"S","queries":[""]}]})", "topics[0].queries[0]"},
      {R"({"topics":[{"topic":"S","queries":[5]}]})", "topics[0].queries[0]"},
      {R"({"topics":[{"topic":"S"}]})", "topics[0].queries"},
      {R"({"topics":[{"topic":"S","queries":[],"x":1}]})", "topics[0].x"},
      {R"({"topics":[],"extra":true})", "extra"},
      {R"({"topics":[{"topic":"S","queries":[]},{"topic":"S","queries":[]}]})", "topics[1].topic"},
  };
  for (const auto& [body, field] : cases) {
    EXPECT_EQ(firstField(body), field) << body;
  }
  const std::string long_name(101, 'n');
  EXPECT_EQ(firstField(R"({"topics":[{"topic":")" + long_name + R"(","queries":[]}]})"),
            "topics[0].topic");
}

}  // namespace
}  // namespace autoql::domain
