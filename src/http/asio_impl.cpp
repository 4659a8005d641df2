// The one translation unit that compiles Boost.Asio and Boost.Beast (separate compilation,
// see BOOST_ASIO_SEPARATE_COMPILATION in src/CMakeLists.txt), so that the files using
// them only parse declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
