module github.com/gotoro/gotoro

go 1.26
