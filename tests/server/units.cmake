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
