# Unit tests of the server's parts, and command-line tests of the cloud-console binary.
cloud_console_add_test(tst_historyring SOURCES tst_historyring.cpp
    LIBRARIES cloud_console_server_core)
cloud_console_add_test(tst_requesthead SOURCES tst_requesthead.cpp
    LIBRARIES cloud_console_server_core)
cloud_console_add_test(tst_options SOURCES tst_options.cpp
    LIBRARIES cloud_console_server_core)
cloud_console_add_test(tst_logwriter SOURCES tst_logwriter.cpp
    LIBRARIES cloud_console_server_core)
cloud_console_add_test(tst_execsource SOURCES tst_execsource.cpp
    LIBRARIES cloud_console_server_core)
# Runs the real binary: built first, found through its path.
cloud_console_add_test(tst_cli SOURCES tst_cli.cpp testpty.h
    LIBRARIES cloud_console_server_core util)
target_compile_definitions(tst_cli PRIVATE CLOUD_CONSOLE_BIN="$<TARGET_FILE:cloud-console>")
add_dependencies(tst_cli cloud-console)
