// Package templates holds shopwatch's message texts (usage and refusals,
// tips, appeal letters, digest copy) and renders them. The defaults are
// embedded; a directory of *.tmpl files may redefine any named block.
//
// Texts are Go text/template named blocks, one per surface, such as
// {{define "tips.damaged"}}. Blocks whose name starts with "appeal." render
// plain text (a letter to paste into Seller Center); the others render Slack
// mrkdwn, from which the bot derives its plain-text fallback.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"
)

//go:embed *.tmpl
var defaults embed.FS

// Set is a parsed set of templates, safe for concurrent use.
type Set struct {
	load func() (*template.Template, error) // parses the set, once
	once sync.Once
	t    *template.Template
	err  error
}

// Load parses the embedded templates and then, when dir is not "", every
// *.tmpl file in dir, whose blocks replace the defaults of the same name.
// It fails when a file does not parse or a required block is missing.
func Load(dir string) (*Set, error) {
	s := Lazy(dir)
	if _, err := s.tmpl(); err != nil {
		return nil, err
	}
	return s, nil
}

// Lazy returns the set Load would, parsed on its first use: a one-shot
// process (shopwatch ask) whose answer renders no block does not parse 26 KB
// of templates for it. Render then returns Load's error, and Has and Names
// find nothing.
func Lazy(dir string) *Set {
	s := &Set{}
	s.load = func() (*template.Template, error) { return parse(dir, s.funcs()) }
	return s
}

func (s *Set) tmpl() (*template.Template, error) {
	s.once.Do(func() { s.t, s.err = s.load() })
	return s.t, s.err
}

func parse(dir string, funcs template.FuncMap) (*template.Template, error) {
	t := template.New("shopwatch").Option("missingkey=error").Funcs(funcs)
	t, err := t.ParseFS(defaults, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("templates: embedded: %w", err)
	}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", dir, err)
		}
		if len(files) == 0 {
			if _, err := os.Stat(dir); err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
		}
		sort.Strings(files)
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
			if _, err := t.New(filepath.Base(f)).Parse(string(text)); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", f, err)
			}
		}
	}
	if missing := missing(t); len(missing) > 0 {
		return nil, fmt.Errorf("templates: missing blocks: %s", strings.Join(missing, ", "))
	}
	return t, nil
}

var defaultSet = sync.OnceValues(func() (*Set, error) { return Load("") })

// Default returns the embedded templates, parsed once.
func Default() *Set {
	s, err := defaultSet()
	if err != nil {
		panic(err) // the embedded templates are tested: this is a build defect
	}
	return s
}

// Required lists the blocks the bot renders; Load checks they exist.
func Required() []string {
	names := []string{"usage", "refusal.channel", "refusal.dm", "refusal.shop", "failure", "working",
		"tips.intro", "tips.none", "appeal", "digest.intro", "digest.all.intro"}
	for _, t := range TipTopics {
		names = append(names, "tips."+t)
	}
	for _, c := range tipCauses {
		names = append(names, "tips."+c, "appeal.fix."+c, "appeal.proof."+c, "appeal.cause."+c)
	}
	for _, k := range AppealKinds {
		names = append(names, "appeal."+k.Name+".action", "appeal."+k.Name+".outcome")
	}
	return names
}

func missing(t *template.Template) []string {
	var out []string
	for _, n := range Required() {
		if t.Lookup(n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether the set defines the block name.
func (s *Set) Has(name string) bool {
	t, err := s.tmpl()
	return err == nil && t.Lookup(name) != nil
}

// ErrNoTemplate is returned by Render for a block the set does not define.
var ErrNoTemplate = errors.New("no such template")

// Render executes the block name with data. Surrounding blank lines are
// trimmed, and runs of more than one blank line are collapsed, so that
// blocks may be laid out for reading.
func (s *Set) Render(name string, data any) (string, error) {
	all, err := s.tmpl()
	if err != nil {
		return "", err
	}
	t := all.Lookup(name)
	if t == nil {
		return "", fmt.Errorf("templates: %q: %w", name, ErrNoTemplate)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("templates: %w", err)
	}
	return tidy(b.String()), nil
}

// tidy trims trailing spaces on each line, collapses blank-line runs and
// trims blank lines at both ends.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := true // drop leading blank lines
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

// Names lists the blocks defined in the set, sorted.
func (s *Set) Names() []string {
	all, err := s.tmpl()
	if err != nil {
		return nil
	}
	var names []string
	for _, t := range all.Templates() {
		if t.Name() != "" && !strings.HasSuffix(t.Name(), ".tmpl") && t.Name() != "shopwatch" {
			names = append(names, t.Name())
		}
	}
	sort.Strings(names)
	return names
}

// DefaultFiles returns the embedded template files, for users who want a
// starting point for their overrides.
func DefaultFiles() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(defaults, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := defaults.ReadFile(p)
		out[p] = string(b)
		return err
	})
	return out, err
}
