package store

import (
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// hugeMemory maps about size bytes, rounded up to whole huge pages and
// aligned on one, which the kernel is asked to back with transparent huge
// pages; ok is false when it has none to offer. release unmaps it.
func hugeMemory(size int) (mem []byte, release func(), ok bool) {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !hugePagesOffered(string(b)) {
		return nil, nil, false
	}
	const huge = 2 << 20
	n := (size + huge - 1) &^ (huge - 1)
	m, err := syscall.Mmap(-1, 0, n+huge, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, nil, false
	}
	release = func() { syscall.Munmap(m) }
	// The mapping's head before the first huge page boundary, and its tail,
	// are never touched: they cost address space, not memory.
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	off := int((base+huge-1)&^(huge-1) - base)
	mem = m[off : off+n : off+n]
	if err := syscall.Madvise(mem, syscall.MADV_HUGEPAGE); err != nil {
		release()
		return nil, nil, false
	}
	return mem, release, true
}

// hugePagesOffered reads the kernel's transparent huge page mode
// ("always [madvise] never"): a region asked for them gets them unless it
// is "never".
func hugePagesOffered(mode string) bool {
	i, j := strings.IndexByte(mode, '['), strings.IndexByte(mode, ']')
	if i < 0 || j < i {
		return false
	}
	switch mode[i+1 : j] {
	case "always", "madvise":
		return true
	}
	return false
}
