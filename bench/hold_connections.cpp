// Opens COUNT keep-alive connections to the server, sends one GET /healthz on each and
// reads its answer, so that every connection is a served, idle keep-alive connection,
// then holds them all open for SECONDS (the benchmark reads the server's memory
// meanwhile) and closes them. Prints how many it holds.
//
// usage: hold_connections PORT COUNT SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// Connects to 127.0.0.1:port and completes one request; -1 on any failure.
int servedConnection(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr std::string_view kRequest = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
  char answer[1024];
  const bool served =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      send(fd, kRequest.data(), kRequest.size(), 0) == static_cast<ssize_t>(kRequest.size()) &&
      recv(fd, answer, sizeof answer, 0) > 0;
  if (!served) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: hold_connections PORT COUNT SECONDS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int count = std::atoi(argv[2]);
  const int seconds = std::atoi(argv[3]);

  std::vector<int> held;
  for (int i = 0; i < count; ++i) {
    const int fd = servedConnection(port);
    if (fd < 0) {
      std::fprintf(stderr, "hold_connections: connection %d failed: %s\n", i, std::strerror(errno));
      break;
    }
    held.push_back(fd);
  }
  std::printf("%zu\n", held.size());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  for (int fd : held) {
    close(fd);
  }
  return held.size() == static_cast<std::size_t>(count) ? 0 : 1;
}
