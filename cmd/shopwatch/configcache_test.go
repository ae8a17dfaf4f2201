package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const cacheTestConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
    thresholds:
      nrr: {warn: "0.3%"}
admin_channel: C0ADMIN01
`

// cacheFiles lists the config cache's files under dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "shopwatch", "*"))
	return files
}

func TestConfigCache(t *testing.T) {
	cacheDir := t.TempDir()
	getenv := func(k string) string {
		if k == "XDG_CACHE_HOME" {
			return cacheDir
		}
		return ""
	}
	path := filepath.Join(t.TempDir(), "shopwatch.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// cached tells whether the cache holds the config file's present bytes.
	cached := func() bool {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := newConfigCache(getenv, path)
		e, ok := c.read()
		return ok && e.sum == c.sum(data)
	}
	// mustLoad loads the config and checks the admin channel, which the
	// steps below change.
	mustLoad := func(admin string) {
		t.Helper()
		cfg, err := loadConfigCached(getenv, path)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := cfg.Shop("7495001")
		if cfg.AdminChannel != admin || !ok || s.Location.String() != "Asia/Bangkok" || s.Profile.Thresholds["nrr"].Warn != 0.003 {
			t.Fatalf("config = admin %q, shop %+v, want admin %q", cfg.AdminChannel, s, admin)
		}
	}

	write(cacheTestConfig)
	mustLoad("C0ADMIN01")
	if !cached() || len(cacheFiles(t, cacheDir)) != 1 {
		t.Fatalf("after a first load: cached %v, files %v", cached(), cacheFiles(t, cacheDir))
	}
	mustLoad("C0ADMIN01") // from the cache

	t.Run("a changed config is read again", func(t *testing.T) {
		write(strings.Replace(cacheTestConfig, "C0ADMIN01", "C0ADMIN02", 1))
		if cached() {
			t.Fatal("the cache claims the changed bytes")
		}
		mustLoad("C0ADMIN02")
		if !cached() || len(cacheFiles(t, cacheDir)) != 1 {
			t.Fatalf("after the change: cached %v, files %v (want the one file replaced)", cached(), cacheFiles(t, cacheDir))
		}
	})

	t.Run("a changed config is validated again, with the same errors", func(t *testing.T) {
		for _, bad := range []string{
			strings.Replace(cacheTestConfig, "profile: sea", "profile: mars", 1),
			strings.Replace(cacheTestConfig, "admin_channel", "admin_chanel", 1),
			strings.Replace(cacheTestConfig, "Asia/Bangkok", "Asia/Atlantis", 1),
		} {
			write(bad)
			_, got := loadConfigCached(getenv, path)
			_, want := loadConfig(path) // no cache
			if got == nil || want == nil || got.Error() != want.Error() {
				t.Errorf("error with a cache: %v\nwithout: %v", got, want)
			}
		}
		write(cacheTestConfig)
		mustLoad("C0ADMIN01")
	})

	t.Run("a corrupt cache is ignored and rewritten", func(t *testing.T) {
		file := cacheFiles(t, cacheDir)[0]
		good, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string][]byte{
			"empty":              {},
			"garbage":            []byte("not a cache file at all"),
			"header only":        good[:cacheHead],
			"cut image":          good[:len(good)-3],
			"changed image byte": append(append([]byte(nil), good[:len(good)-1]...), good[len(good)-1]^0x55),
			"changed key byte":   append(append(append([]byte(nil), good[:len(configCacheMagic)]...), good[len(configCacheMagic)]^1), good[len(configCacheMagic)+1:]...),
		} {
			if err := os.WriteFile(file, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if cached() {
				t.Errorf("%s: the cache was read", name)
			}
			mustLoad("C0ADMIN01")
			if !cached() {
				t.Errorf("%s: the cache was not rewritten", name)
			}
		}
	})

	t.Run("another build misses", func(t *testing.T) {
		saved := buildID
		t.Cleanup(func() { buildID = saved })
		buildID = func() []byte { return []byte("another build") }
		if cached() {
			t.Fatal("another build's cache was read")
		}
		mustLoad("C0ADMIN01")
		if !cached() {
			t.Fatal("not cached for the other build")
		}
		if n := len(cacheFiles(t, cacheDir)); n != 2 {
			t.Fatalf("%d cache files, want one per build", n)
		}
		buildID = saved
		if !cached() {
			t.Fatal("the other build overwrote the first build's cache")
		}
	})

	t.Run("a config still since its entry is not read again", func(t *testing.T) {
		reads := 0
		savedRead, savedNow := readConfigFile, configNow
		t.Cleanup(func() { readConfigFile, configNow = savedRead, savedNow })
		readConfigFile = func(name string) ([]byte, error) { reads++; return os.ReadFile(name) }
		later := func() time.Time { return time.Now().Add(time.Minute) } // every write below has settled
		configNow = later
		// load loads the config, checks it, and reports whether it read the file.
		load := func(admin string) bool {
			t.Helper()
			n := reads
			mustLoad(admin)
			return reads > n
		}

		write(cacheTestConfig)
		if !load("C0ADMIN01") || load("C0ADMIN01") {
			t.Fatal("want the file read once after a write, then from the entry's stamp")
		}

		// A same-size edit with the modification time set back: the change
		// time still moves.
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		write(strings.Replace(cacheTestConfig, "C0ADMIN01", "C0ADMIN02", 1))
		if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		if !load("C0ADMIN02") || load("C0ADMIN02") {
			t.Fatal("a same-size edit with the old mtime: want it read once, then trusted")
		}

		// The same bytes under a new inode: read and hashed, found, and the
		// entry's stamp renewed without parsing.
		repl := path + ".new"
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(repl, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(repl, path); err != nil {
			t.Fatal(err)
		}
		if !load("C0ADMIN02") || load("C0ADMIN02") {
			t.Fatal("the file replaced by a copy: want it read once, then trusted")
		}

		// Written just now: no stamp is recorded, so every load reads it
		// until it has settled.
		configNow = time.Now
		write(cacheTestConfig)
		if first, second := load("C0ADMIN01"), load("C0ADMIN01"); !first || !second {
			t.Fatal("a config written just now was trusted by its stamp")
		}
		configNow = later
		if !load("C0ADMIN01") || load("C0ADMIN01") {
			t.Fatal("once settled: want one read to record the stamp, then none")
		}
	})

	t.Run("stale files are removed when an entry is written", func(t *testing.T) {
		dir := filepath.Join(cacheDir, "shopwatch")
		old := time.Now().Add(-cacheMaxAge - time.Hour)
		files := map[string]struct {
			mtime time.Time
			kept  bool
		}{
			"config-0123456789abcdef01234567.bin":       {old, false}, // a past build's
			"config-89abcdef0123456789abcdef.bin":       {time.Now().Add(-time.Hour), true},
			"config-0123456789abcdef01234567.bin.tmp-1": {time.Now().Add(-2 * cacheTmpAge), false},
			"config-0123456789abcdef01234567.bin.tmp-2": {time.Now(), true}, // being written
			"notes.txt": {old, true}, // not the cache's
		}
		for name, f := range files {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, f.mtime, f.mtime); err != nil {
				t.Fatal(err)
			}
		}
		write(strings.Replace(cacheTestConfig, "C0ADMIN01", "C0ADMIN03", 1)) // a miss writes an entry
		mustLoad("C0ADMIN03")
		for name, f := range files {
			_, err := os.Stat(filepath.Join(dir, name))
			if kept := err == nil; kept != f.kept {
				t.Errorf("%s: kept %v, want %v", name, kept, f.kept)
			}
		}
		if !cached() {
			t.Error("the entry just written was removed")
		}
		write(cacheTestConfig)
		mustLoad("C0ADMIN01")
	})

	t.Run("no cache directory", func(t *testing.T) {
		blocked := filepath.Join(t.TempDir(), "file")
		os.WriteFile(blocked, nil, 0o600) // a file where the directory would go
		getenv := func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return blocked
			}
			return ""
		}
		if _, err := loadConfigCached(getenv, path); err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfigCached(func(string) string { return "" }, path); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBuildID(t *testing.T) {
	if id := buildID(); len(id) == 0 {
		t.Fatal("no build id for the test binary: the cache would be off")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 16<<10)
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, _ := f.Read(head)
	if id := elfBuildID(head[:n]); id != nil && strings.Count(string(id), "/") != 3 {
		t.Errorf("build id %q: want Go's four parts", id)
	}
	if id := elfBuildID([]byte("\x7fELF no note here")); id != nil {
		t.Errorf("build id of a file without one: %q", id)
	}
}

func TestFileStampSettled(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return now.Add(d).UnixNano() }
	for _, tc := range []struct {
		name  string
		stamp fileStamp
		want  bool
	}{
		{"none", fileStamp{}, false},
		{"both times old", fileStamp{size: 1, mtime: at(-time.Hour), ctime: at(-time.Minute)}, true},
		{"exactly settled", fileStamp{size: 1, mtime: at(-configSettle), ctime: at(-configSettle)}, true},
		{"changed within the settle time", fileStamp{size: 1, mtime: at(-time.Hour), ctime: at(-configSettle + time.Nanosecond)}, false},
		{"modified within the settle time", fileStamp{size: 1, mtime: at(-time.Second), ctime: at(-time.Hour)}, false},
		{"modification time in the future", fileStamp{size: 1, mtime: at(time.Hour), ctime: at(-time.Hour)}, false},
	} {
		if got := tc.stamp.settled(now); got != tc.want {
			t.Errorf("%s: settled = %v, want %v", tc.name, got, tc.want)
		}
		if got, rest := decodeStamp(tc.stamp.append([]byte(nil))); got != tc.stamp || len(rest) != 0 {
			t.Errorf("%s: decoded %+v (%d bytes left), want %+v", tc.name, got, len(rest), tc.stamp)
		}
	}
}
