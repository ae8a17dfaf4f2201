package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/shopwatch/shopwatch/rules"
)

// The config cache keeps the parsed config as a config image
// (rules.Config.MarshalBinary): a 1,000-shop YAML file takes longer to
// parse than a short command's question. One file per config path and
// build, under $XDG_CACHE_HOME/shopwatch (else ~/.cache/shopwatch), holds
// the image after a header: the SHA-256 of this binary's build id and the
// config's bytes, then the SHA-256 of the image. A changed config, or
// another build of shopwatch (whose rules or defaults may differ), misses
// and is parsed and validated again, with the same errors. A missing,
// unreadable or corrupt cache file is ignored and rewritten; a cache that
// cannot be written is done without.

// configCacheMagic starts every cache file.
const configCacheMagic = "shopwatch config cache 1\n"

// configCache is the cache of one config file.
type configCache struct {
	file  string   // "" when there is no cache directory
	build []byte   // this binary's build id
	sum   [32]byte // SHA-256 of build and the config bytes
}

// newConfigCache returns the cache of the config at path, whose content is
// data. getenv gives XDG_CACHE_HOME and HOME.
func newConfigCache(getenv func(string) string, path string, data []byte) configCache {
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".cache")
		}
	}
	build := buildID()
	if dir == "" || len(build) == 0 {
		return configCache{}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return configCache{}
	}
	// One file per config path and build: builds run side by side (an
	// upgrade, a test binary) do not overwrite each other's.
	name := sha256.Sum256(append(append([]byte(abs), 0), build...))
	c := configCache{file: filepath.Join(dir, "shopwatch", "config-"+hex.EncodeToString(name[:12])+".bin"), build: build}
	h := sha256.New()
	h.Write(build)
	h.Write([]byte{0})
	h.Write(data)
	h.Sum(c.sum[:0])
	return c
}

// load returns the cached config, or nil when there is none for these
// bytes and this build.
func (c configCache) load() *rules.Config {
	if c.file == "" {
		return nil
	}
	b, err := os.ReadFile(c.file)
	if err != nil {
		return nil
	}
	key, check := len(configCacheMagic), len(configCacheMagic)+sha256.Size
	head := check + sha256.Size
	if len(b) < head || string(b[:key]) != configCacheMagic || !bytes.Equal(b[key:check], c.sum[:]) {
		return nil
	}
	if sum := sha256.Sum256(b[head:]); !bytes.Equal(b[check:head], sum[:]) {
		return nil // corrupt
	}
	cfg, err := rules.UnmarshalConfig(b[head:])
	if err != nil {
		return nil
	}
	return cfg
}

// store writes cfg to the cache, atomically; errors leave the cache as it
// was (the next run parses again).
func (c configCache) store(cfg *rules.Config) {
	if c.file == "" {
		return
	}
	img, err := cfg.MarshalBinary()
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(c.file), filepath.Base(c.file)+".tmp-*")
	if err != nil {
		return
	}
	_, err = io.WriteString(f, configCacheMagic)
	if err == nil {
		_, err = f.Write(c.sum[:])
	}
	if err == nil {
		sum := sha256.Sum256(img)
		_, err = f.Write(sum[:])
	}
	if err == nil {
		_, err = f.Write(img)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// buildID returns the Go build id of the running binary (its ELF note),
// else the executable's path, size and modification time; nil when neither
// can be read, which turns the cache off.
var buildID = sync.OnceValue(func() []byte {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 16<<10)
	n, _ := io.ReadFull(f, head)
	if id := elfBuildID(head[:n]); id != nil {
		return id
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	return fmt.Appendf(nil, "%s %d %d", exe, st.Size(), st.ModTime().UnixNano())
})

// elfBuildID finds the Go build id note in the first bytes of an ELF
// file: name size 4, description size n, type 4, name "Go\x00\x00", then
// the n-byte id.
func elfBuildID(head []byte) []byte {
	if !bytes.HasPrefix(head, []byte("\x7fELF")) {
		return nil
	}
	tag := []byte("\x04\x00\x00\x00Go\x00\x00")
	for off := 0; ; {
		i := bytes.Index(head[off:], tag)
		if i < 0 {
			return nil
		}
		at := off + i
		off = at + 1
		if at < 8 || head[at-8] != 4 || head[at-7] != 0 || head[at-6] != 0 || head[at-5] != 0 {
			continue
		}
		n := int(head[at-4]) | int(head[at-3])<<8 | int(head[at-2])<<16 | int(head[at-1])<<24
		start := at + len(tag)
		if n <= 0 || n > 1024 || start+n > len(head) {
			continue
		}
		return head[start : start+n]
	}
}
