# `cpack -G DEB` in a build tree: the Debian package `anomstream`, holding what
# cmake/AnomstreamInstall.cmake installs under the /usr prefix. Its library dependencies
# come from dpkg-shlibdeps (package dpkg-dev) reading the binaries, not from a list kept
# by hand; the maintainer scripts are deploy/debian/{postinst,prerm,postrm}.

set(ANOMSTREAM_PACKAGE_MAINTAINER "anomstream developers <dev@anomstream.invalid>" CACHE STRING
    "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME anomstream)
set(CPACK_PACKAGE_VENDOR anomstream)
set(CPACK_PACKAGE_CONTACT "${ANOMSTREAM_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "streaming anomaly-detection daemon")
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "anomstreamd ingests numeric observations over gRPC and UDP, scores them with"
  "per-tenant Random Cut Forest pipelines on worker threads, and emits alerts (JSON"
  "lines, gRPC), Prometheus metrics and an HMAC-chained audit log. It runs as the"
  "systemd service anomstreamd.service under the anomstream system user."
  ""
  "anomstreamctl replays traffic into the daemon, watches its alerts, sends feedback"
  "and verifies audit logs."
  ""
  "Licence: Apache-2.0.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The unit's ExecReload= runs /bin/kill, which procps ships.
set(CPACK_DEBIAN_PACKAGE_DEPENDS procps)

# dpkg keeps an administrator's edits to a conffile across upgrades.
cmake_path(ABSOLUTE_PATH ANOMSTREAM_INSTALL_CONFDIR BASE_DIRECTORY "${CPACK_PACKAGING_INSTALL_PREFIX}"
           NORMALIZE OUTPUT_VARIABLE deb_confdir)
set(deb_conffiles ${PROJECT_BINARY_DIR}/deb/conffiles)
file(CONFIGURE OUTPUT ${deb_conffiles} CONTENT "${deb_confdir}/anomstreamd.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${deb_conffiles}
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
