package demo

// SetRunBytes sets the run size of reorder for a test and returns the
// function restoring it.
func SetRunBytes(n int) (restore func()) {
	old := runBytes
	runBytes = n
	return func() { runBytes = old }
}

// MixedKey is the sort key of OrderMixed for a first column id.
func MixedKey(id string, seed int64) int64 {
	k, _ := keyFunc(OrderMixed, OrdersFile, seed)([]byte(id + ",x\n"))
	return k.n
}
