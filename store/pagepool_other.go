//go:build !linux

package store

// hugeMemory has no transparent huge pages to offer here (pagepool_linux.go).
func hugeMemory(int) (mem []byte, release func(), ok bool) { return nil, nil, false }
