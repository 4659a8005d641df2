// Query Quick Start end to end (DESIGN 3.4): replacing a project's topic list, reading it
// in the stored order at both paths, the empty list, field-level validation of every
// limit, and the `topics import` command, against the real binary.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;

class QuickStart : public SharedServerTest {
 protected:
  static std::string target(const std::string& project) {
    return "/query-quick-start?project_id=" + project;
  }

  // A body of `topics` topics with `queries` queries of `chars` characters each.
  static std::string body(std::size_t topics, std::size_t queries, std::size_t chars) {
    json::array list;
    for (std::size_t t = 0; t < topics; ++t) {
      json::array texts;
      for (std::size_t q = 0; q < queries; ++q) {
        texts.emplace_back(repeat('q', chars));
      }
      list.push_back(json::object{{"topic", "Topic " + std::to_string(t)}, {"queries", texts}});
    }
    return json::serialize(json::object{{"topics", list}});
  }
};

TEST_F(QuickStart, ProjectWithoutAListAnswersAnEmptyOne) {
  const auto response = send(client(), "GET", target(uniqueId("proj")));
  ASSERT_EQ(response.status, 200u);
  EXPECT_TRUE(sameJson(parseJson(R"({"topics":[]})"), bodyJson(response)));
}

TEST_F(QuickStart, PutReplacesAndGetKeepsTheOrderAtBothPaths) {
  const std::string project = uniqueId("proj");
  const std::string sample = readDataFile("quick-start-topics.json");
  const auto put = sendJson(client(), "PUT", target(project), sample);
  ASSERT_EQ(put.status, 200u) << put.body;

  const json::value expected = parseJson(sample).at("topics");
  const auto got = send(client(), "GET", target(project));
  ASSERT_EQ(got.status, 200u);
  EXPECT_TRUE(sameJson(expected, bodyJson(got).at("topics")));
  const auto items = send(client(), "GET", "/api/v1/topics?project_id=" + project);
  ASSERT_EQ(items.status, 200u);
  EXPECT_TRUE(sameJson(expected, bodyJson(items).at("items")));

  // A second PUT replaces the whole list; other projects are untouched.
  const std::string replacement = R"({"topics":[{"topic":"Only","queries":["one"]}]})";
  ASSERT_EQ(sendJson(client(), "PUT", target(project), replacement).status, 200u);
  EXPECT_TRUE(sameJson(parseJson(replacement), bodyJson(send(client(), "GET", target(project)))));
  EXPECT_TRUE(sameJson(parseJson(R"({"topics":[]})"),
                       bodyJson(send(client(), "GET", target(uniqueId("other"))))));
}

TEST_F(QuickStart, AcceptsEveryLimitExactly) {
  const auto response = sendJson(client(), "PUT", target(uniqueId("proj")), body(50, 50, 500));
  EXPECT_EQ(response.status, 200u) << response.body.substr(0, 300);
}

TEST_F(QuickStart, RefusesEachShapeWithTheFieldNamed) {
  const std::string project = uniqueId("proj");
  const std::pair<std::string, std::string> cases[] = {
      {body(51, 1, 1), "topics"},
      {body(1, 51, 1), "topics[0].queries"},
      {body(1, 1, 501), "topics[0].queries[0]"},
      {R"({"topics":[{"topic":"","queries":[]}]})", "topics[0].topic"},
      {R"({"topics":[{"topic":")" + repeat('t', 101) + R"(","queries":[]}]})", "topics[0].topic"},
      {R"({"topics":[{"topic":"A","queries":[]},{"topic":"A","queries":[]}]})", "topics[1].topic"},
      {R"({"topics":[{"topic":"A","queries":[""]}]})", "topics[0].queries[0]"},
      {R"({"topics":[{"topic":"A","queries":[7]}]})", "topics[0].queries[0]"},
      {R"({"topics":[{"topic":"A","queries":[],"extra":1}]})", "topics[0].extra"},
      {R"({"topics":["A"]})", "topics[0]"},
      {R"({"topics":{}})", "topics"},
      {R"({"list":[]})", "list"},
  };
  for (const auto& [request, field] : cases) {
    const auto response = sendJson(client(), "PUT", target(project), request);
    EXPECT_TRUE(isValidationError(response, field)) << request.substr(0, 200);
  }
  // Nothing was stored by any of them.
  EXPECT_TRUE(
      sameJson(parseJson(R"({"topics":[]})"), bodyJson(send(client(), "GET", target(project)))));
}

TEST_F(QuickStart, ManyBadItemsGiveAShortAnswer) {
  std::string items;
  for (int i = 0; i < 200000; ++i) {
    items += i == 0 ? "1" : ",1";
  }
  const auto response = sendJson(client(), "PUT", target(uniqueId("proj")),
                                 R"({"topics":[{"topic":"A","queries":[)" + items + "]}]}");
  EXPECT_EQ(response.status, 400u);
  EXPECT_LT(response.body.size(), 4096u) << "the errors of a bad body must be capped";
}

TEST_F(QuickStart, RefusesAMissingProject) {
  EXPECT_TRUE(isValidationError(send(client(), "GET", "/query-quick-start"), "project_id"));
  EXPECT_TRUE(isValidationError(sendJson(client(), "PUT", "/query-quick-start", R"({"topics":[]})"),
                                "project_id"));
}

TEST_F(QuickStart, ImportCommandReplacesAProjectsTopics) {
  const std::string project = uniqueId("proj");
  const std::string file = server().dir() + "/topics.json";
  std::ofstream(file) << readDataFile("quick-start-topics.json");
  const std::string database = "sqlite:" + server().dir() + "/autoql.db";
  if (onPostgres()) {
    GTEST_SKIP() << "the shared server's database is not reachable by path here";
  }

  const auto imported =
      runCommand({"topics", "import", "--project", project, "--file", file, "--database", database},
                 server().dir());
  ASSERT_EQ(imported.exit_status, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported 3 topic(s)"), std::string::npos) << imported.out;
  const auto got = send(client(), "GET", target(project));
  EXPECT_TRUE(sameJson(parseJson(readDataFile("quick-start-topics.json")).at("topics"),
                       bodyJson(got).at("topics")));

  // A bad file changes nothing and says what is wrong.
  std::ofstream(file) << R"({"topics":[{"topic":"x"}]})";
  const auto refused =
      runCommand({"topics", "import", "--project", project, "--file", file, "--database", database},
                 server().dir());
  EXPECT_EQ(refused.exit_status, 1);
  EXPECT_NE(refused.err.find("topics[0].queries"), std::string::npos) << refused.err;
  EXPECT_EQ(bodyJson(send(client(), "GET", target(project))).at("topics").as_array().size(), 3u);

  const auto missing = runCommand(
      {"topics", "import", "--project", project, "--file", server().dir(), "--database", database},
      server().dir());
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("--file"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace autoql::e2e
