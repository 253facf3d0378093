module libctr.example/embed

go 1.19
