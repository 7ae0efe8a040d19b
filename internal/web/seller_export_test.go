package web

// ParseYuanForTest exposes parseYuan to the black-box tests.
var ParseYuanForTest = parseYuan
