package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		return newConfigCache(getenv, path, data).load() != nil
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
		head := len(configCacheMagic) + 64
		for name, bad := range map[string][]byte{
			"empty":              {},
			"garbage":            []byte("not a cache file at all"),
			"header only":        good[:head],
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
