// Replays saved inputs through a fuzz target without libFuzzer, so that the normal
// build's tests run every corpus and regression input (`<target>_replay DIR...`).
// Files whose names start with '.' are skipped (a .gitkeep holds an empty directory).
// Exits 1 when a directory is missing or all of them together hold no input; an input
// that breaks a property aborts, as under the fuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputsIn(const fs::path& directory) {
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
      inputs.push_back(entry.path());
    }
  }
  return inputs;
}

void replay(const fs::path& input) {
  std::ifstream file(input, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replaying %s\n", input.c_str());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (!fs::is_directory(argv[i], ec)) {
      std::fprintf(stderr, "%s: not a directory\n", argv[i]);
      return 1;
    }
    for (const fs::path& input : inputsIn(argv[i])) {
      replay(input);
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "no inputs to replay\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
