# Installation layout and the Debian package (README "Running in production").
#
# `cmake --install` lays out, under its prefix: bin/autoql-backend (src/CMakeLists.txt),
# the systemd unit in lib/systemd/system, the README and an example environment file in
# share/doc/autoql-backend, and the environment file itself in the configuration
# directory (/etc for the /usr prefix, <prefix>/etc otherwise) unless one is there.
# `cpack` (run in the build directory) builds autoql-backend_<version>_<arch>.deb from
# the same rules with the /usr prefix.

set(AUTOQL_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

install(FILES README.md DESTINATION share/doc/autoql-backend)
install(FILES ${AUTOQL_PACKAGING_DIR}/autoql-backend.env.example
        DESTINATION share/doc/autoql-backend)

# The unit and the environment file name absolute paths that depend on the prefix the
# install step runs with (cmake --install --prefix, or /usr inside cpack), so they are
# written then, not when the build is configured.
install(CODE "set(AUTOQL_PACKAGING_DIR \"${AUTOQL_PACKAGING_DIR}\")
              set(AUTOQL_STAGING_DIR \"${PROJECT_BINARY_DIR}/packaging\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(AUTOQL_SYSCONFDIR "/etc")
  else()
    set(AUTOQL_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  set(AUTOQL_BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
  set(AUTOQL_DOCDIR "${CMAKE_INSTALL_PREFIX}/share/doc/autoql-backend")
  configure_file("${AUTOQL_PACKAGING_DIR}/autoql-backend.service.in"
                 "${AUTOQL_STAGING_DIR}/autoql-backend.service" @ONLY)
  file(INSTALL "${AUTOQL_STAGING_DIR}/autoql-backend.service"
       DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")

  # Never overwrite an environment file in place: it holds the operator's secrets. (A
  # package upgrade keeps it as a conffile instead.) Root-only: systemd reads it as root.
  if(NOT EXISTS "$ENV{DESTDIR}${AUTOQL_SYSCONFDIR}/autoql-backend/autoql-backend.env")
    file(INSTALL "${AUTOQL_PACKAGING_DIR}/autoql-backend.env.example"
         DESTINATION "${AUTOQL_SYSCONFDIR}/autoql-backend"
         RENAME autoql-backend.env PERMISSIONS OWNER_READ OWNER_WRITE)
  endif()
]])

# --- the Debian package ---

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME autoql-backend)
set(CPACK_PACKAGE_VENDOR "autoql-backend")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Backend for the AutoQL widgets: dashboards, Data Alert webhooks, notifications")
set(CPACK_PACKAGE_DESCRIPTION
    "A self-hosted HTTP service that stores each user's AutoQL dashboards, receives signed \
Data Alert webhooks and serves the notifications to their users, on SQLite or PostgreSQL. \
Runs as the systemd service autoql-backend; configure it in \
/etc/autoql-backend/autoql-backend.env.")
set(CPACK_PACKAGE_CONTACT "autoql-backend maintainers <autoql-backend@localhost>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The /usr prefix whatever the build's own, with DESTDIR staging, so that the install step
# runs with CMAKE_INSTALL_PREFIX=/usr and writes the unit's paths accordingly.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Library dependencies (libpq, libsqlite3, libjwt, libspdlog, ...) computed from the binary
# by dpkg-shlibdeps (package dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${AUTOQL_PACKAGING_DIR}/debian/conffiles
    ${AUTOQL_PACKAGING_DIR}/debian/postinst
    ${AUTOQL_PACKAGING_DIR}/debian/prerm
    ${AUTOQL_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# cpack writes its output and staging under the build directory's packages/ folder, so
# that a package build never mixes with what the other targets write.
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)

include(CPack)
