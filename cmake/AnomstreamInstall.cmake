# What `cmake --install` puts where (and so what the .deb holds). With --prefix /usr:
#
#   /usr/bin/anomstreamd, /usr/bin/anomstreamctl
#   /usr/lib/systemd/system/anomstreamd.service   rendered from systemd/anomstreamd.service.in
#   /usr/lib/sysusers.d/anomstream.conf           the static `anomstream` user the unit runs as
#   /etc/anomstream/anomstreamd.yaml              config/default.yaml, for the administrator to edit
#   /usr/share/doc/anomstream/                    README.md, LICENSE, copyright, docs/*.md
#
# The configuration directory is absolute by default (/etc/anomstream whatever the
# prefix), because the unit's ConfigurationDirectory= is under /etc; DESTDIR still stages
# it, and a relative ANOMSTREAM_INSTALL_CONFDIR puts it under the prefix instead (an
# unprivileged install). The other directories are relative to the prefix chosen when
# the install runs.

set(ANOMSTREAM_INSTALL_CONFDIR "/etc/anomstream" CACHE STRING
    "Where the configuration file is installed: absolute, or relative to the install prefix")
set(ANOMSTREAM_INSTALL_SYSTEMDUNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit is installed, relative to the install prefix")
set(ANOMSTREAM_INSTALL_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "Where the sysusers.d file is installed, relative to the install prefix")

install(TARGETS anomstreamd anomstreamctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${PROJECT_SOURCE_DIR}/config/default.yaml
        DESTINATION ${ANOMSTREAM_INSTALL_CONFDIR} RENAME anomstreamd.yaml)

install(FILES ${PROJECT_SOURCE_DIR}/systemd/anomstream.sysusers
        DESTINATION ${ANOMSTREAM_INSTALL_SYSUSERSDIR} RENAME anomstream.conf)

file(GLOB user_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
              ${PROJECT_SOURCE_DIR}/deploy/debian/copyright ${user_docs}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The unit names the binary, its configuration and the documentation by absolute path.
# `cmake --install --prefix` and cpack choose the prefix when the install runs, not when
# the build is configured, so the unit is rendered then, from the prefix being installed to.
set(rendered_unit ${PROJECT_BINARY_DIR}/systemd/anomstreamd.service)
install(CODE "
  set(ANOMSTREAM_BINDIR [[${CMAKE_INSTALL_BINDIR}]])
  set(ANOMSTREAM_DOCDIR [[${CMAKE_INSTALL_DOCDIR}]])
  set(ANOMSTREAM_CONFDIR [[${ANOMSTREAM_INSTALL_CONFDIR}]])
  foreach(dir ANOMSTREAM_BINDIR ANOMSTREAM_DOCDIR ANOMSTREAM_CONFDIR)
    cmake_path(ABSOLUTE_PATH \${dir} BASE_DIRECTORY \"\${CMAKE_INSTALL_PREFIX}\" NORMALIZE)
  endforeach()
  configure_file([[${PROJECT_SOURCE_DIR}/systemd/anomstreamd.service.in]]
                 [[${rendered_unit}]] @ONLY)
")
install(FILES ${rendered_unit} DESTINATION ${ANOMSTREAM_INSTALL_SYSTEMDUNITDIR})
