package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// The config cache keeps the parsed config as a config image
// (rules.Config.MarshalBinary): a 1,000-shop YAML file takes longer to
// parse than a short command's question. One file per config path and
// build, under $XDG_CACHE_HOME/shopwatch (else ~/.cache/shopwatch), holds
// the image after a header: the SHA-256 of this binary's build id and the
// config's bytes, the config file's stamp (stamp_linux.go), then the
// SHA-256 of the image. A changed config, or another build of shopwatch
// (whose rules or defaults may differ), misses and is parsed and validated
// again, with the same errors. A missing, unreadable or corrupt cache file
// is ignored and rewritten; a cache that cannot be written is done without.
//
// The stamp spares reading and hashing the config: 180 KB for 1,000 shops,
// about 2 ms of a 35 ms short command. When the file's size, times, inode and
// device are the ones the entry recorded, its bytes are the ones the entry
// was made from, as git trusts its index: any write changes the change
// time (ctime), which no tool can set back. A stamp is recorded only once
// the file has been still for configSettle, longer than any file system's
// timestamp granularity: a write in the same tick as the one recorded
// would otherwise keep its times.

// configCacheMagic starts every cache file.
const configCacheMagic = "shopwatch config cache 2\n"

// configSettle is how long a config file must have been unchanged for its
// stamp to be recorded.
const configSettle = 2 * time.Second

// Hooks for the tests.
var (
	configNow      = time.Now
	readConfigFile = os.ReadFile
)

// configCache is the cache of one config file.
type configCache struct {
	file  string // "" when there is no cache directory
	build []byte // this binary's build id
}

// cacheEntry is a cache file's content.
type cacheEntry struct {
	sum   [32]byte // SHA-256 of build and the config bytes
	stamp fileStamp
	image []byte
}

// newConfigCache returns the cache of the config at path. getenv gives
// XDG_CACHE_HOME and HOME.
func newConfigCache(getenv func(string) string, path string) configCache {
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
	return configCache{file: filepath.Join(dir, "shopwatch", "config-"+hex.EncodeToString(name[:12])+".bin"), build: build}
}

// sum is the key of config bytes data.
func (c configCache) sum(data []byte) (sum [32]byte) {
	h := sha256.New()
	h.Write(c.build)
	h.Write([]byte{0})
	h.Write(data)
	h.Sum(sum[:0])
	return sum
}

// loadConfigCached reads the config at path: from the cache when the file
// is still the one its entry was made from, else parsed, and cached.
func loadConfigCached(getenv func(string) string, path string) (*rules.Config, error) {
	cache := newConfigCache(getenv, path)
	entry, cached := cache.read()
	before := statStamp(path) // none when the file cannot be stat'ed: reading it says why
	if cached && !before.none() && entry.stamp == before {
		if cfg, err := rules.UnmarshalConfig(entry.image); err == nil {
			return cfg, nil
		}
	}
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	stamp := fileStamp{}
	if after := statStamp(path); after == before && before.settled(configNow()) {
		stamp = before
	}
	sum := cache.sum(data)
	if cached && entry.sum == sum {
		if cfg, err := rules.UnmarshalConfig(entry.image); err == nil {
			if stamp != entry.stamp {
				cache.write(cacheEntry{sum: sum, stamp: stamp, image: entry.image})
			}
			return cfg, nil
		}
	}
	cfg, err := rules.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if img, err := cfg.MarshalBinary(); err == nil {
		cache.write(cacheEntry{sum: sum, stamp: stamp, image: img})
	}
	return cfg, nil
}

// cacheHead is the length of a cache file's header: the magic, the key,
// the stamp and the image's SHA-256.
const cacheHead = len(configCacheMagic) + sha256.Size + stampSize + sha256.Size

// read returns the cache file's entry; false when there is none, or it is
// corrupt.
func (c configCache) read() (cacheEntry, bool) {
	if c.file == "" {
		return cacheEntry{}, false
	}
	b, err := os.ReadFile(c.file)
	if err != nil || len(b) < cacheHead || string(b[:len(configCacheMagic)]) != configCacheMagic {
		return cacheEntry{}, false
	}
	var e cacheEntry
	b = b[len(configCacheMagic):]
	b = b[copy(e.sum[:], b):]
	e.stamp, b = decodeStamp(b)
	check, image := b[:sha256.Size], b[sha256.Size:]
	if sum := sha256.Sum256(image); !bytes.Equal(check, sum[:]) {
		return cacheEntry{}, false // corrupt
	}
	e.image = image
	return e, true
}

// write replaces the cache file with e, atomically; errors leave the cache
// as it was (the next run parses again).
func (c configCache) write(e cacheEntry) {
	if c.file == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(c.file), filepath.Base(c.file)+".tmp-*")
	if err != nil {
		return
	}
	b := make([]byte, 0, cacheHead+len(e.image))
	b = append(b, configCacheMagic...)
	b = append(b, e.sum[:]...)
	b = e.stamp.append(b)
	sum := sha256.Sum256(e.image)
	b = append(append(b, sum[:]...), e.image...)
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.file)
	}
	if err != nil {
		os.Remove(f.Name())
		return
	}
	c.prune()
}

// Entries not written for cacheMaxAge are removed when another is written:
// those of past builds and old formats would otherwise pile up, one per
// upgrade. An entry still in use but older is made again on its next
// miss. A temporary file is a write that died when it is an hour old.
const (
	cacheMaxAge = 30 * 24 * time.Hour
	cacheTmpAge = time.Hour
)

// prune removes the cache directory's stale files.
func (c configCache) prune() {
	dir := filepath.Dir(c.file)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	now := configNow()
	for _, e := range entries {
		name := e.Name()
		maxAge := cacheMaxAge
		switch {
		case !strings.HasPrefix(name, "config-") || name == filepath.Base(c.file):
			continue
		case strings.Contains(name, ".tmp-"):
			maxAge = cacheTmpAge
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > maxAge {
			os.Remove(filepath.Join(dir, name))
		}
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
