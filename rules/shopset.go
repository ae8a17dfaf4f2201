package rules

import (
	"slices"
	"sync"
	"time"
)

// shopSet is a config's shops. ParseConfig builds it whole. A config image
// (UnmarshalConfig) keeps its shops' records and decodes a shop when it is
// looked up, and every shop the first time the list is asked for: a short
// command about one shop of 1,000 then decodes one, not a 350 KB list
// (about 1.2 ms of its process). A shop is decoded once: Shop and Shops
// return the same *Shop.
type shopSet struct {
	mu   sync.Mutex
	list []*Shop // every shop in the file's order; whole once img is nil
	byID map[string]*Shop
	img  *shopImage // the records not decoded yet; nil when list is whole
}

// shopImage is the shops' part of a config image, checked whole when the
// image was read: decoding it cannot fail.
type shopImage struct {
	records  string // the shop records, one after the other
	n        int
	profiles []Profile
	zones    map[string]*time.Location // every shop's zone, loaded
}

// add appends s to a set being built whole; false if its id is taken.
func (ss *shopSet) add(s *Shop) bool {
	if ss.byID == nil {
		ss.byID = make(map[string]*Shop)
	}
	if _, dup := ss.byID[s.ID]; dup {
		return false
	}
	ss.byID[s.ID] = s
	ss.list = append(ss.list, s)
	return true
}

func (ss *shopSet) get(id string) (*Shop, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.byID[id]; ok || ss.img == nil {
		return s, ok
	}
	s := ss.img.find(id)
	if s == nil {
		return nil, false
	}
	if ss.byID == nil {
		ss.byID = make(map[string]*Shop)
	}
	ss.byID[id] = s
	return s, true
}

func (ss *shopSet) all() []*Shop {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.img != nil {
		ss.list, ss.byID = ss.img.decodeAll(ss.byID)
		ss.img = nil
	}
	return slices.Clip(ss.list) // a caller's append cannot reach another's
}

// record reads one shop record into s, without its zone.
func (im *shopImage) record(r *imageReader, s *Shop) {
	s.ID, s.Name, s.Timezone, s.Channel = r.str(), r.str(), r.str(), r.str()
	s.Profile = im.profiles[r.int()] // in range: skipRecord checked it
	s.Holidays = nil
	if h := r.count(); h > 0 {
		s.Holidays = make([]Period, h)
		for j := range s.Holidays {
			s.Holidays[j] = Period{From: Day(r.int()), To: Day(r.int())}
		}
	}
}

// skipRecord passes over one shop record, checking that it is whole and
// names a profile of the image, and returns its id and zone name.
func skipRecord(r *imageReader, profiles int) (id, zone string) {
	id, _, zone, _ = r.str(), r.str(), r.str(), r.str()
	if p := r.int(); p < 0 || p >= profiles {
		r.fail("profile")
	}
	for range r.count() {
		r.int()
		r.int()
	}
	return id, zone
}

// find decodes the shop with the given id, nil if there is none.
func (im *shopImage) find(id string) *Shop {
	r := &imageReader{s: im.records}
	for range im.n {
		at := r.s
		if got, _ := skipRecord(r, len(im.profiles)); got != id {
			continue
		}
		s := new(Shop)
		im.record(&imageReader{s: at}, s)
		s.Location = im.zones[s.Timezone]
		return s
	}
	return nil
}

// decodeAll decodes every shop, keeping those already decoded (by id).
func (im *shopImage) decodeAll(decoded map[string]*Shop) ([]*Shop, map[string]*Shop) {
	block := make([]Shop, im.n) // one allocation for all
	list := make([]*Shop, 0, im.n)
	byID := make(map[string]*Shop, im.n)
	r := &imageReader{s: im.records}
	for i := range block {
		s := &block[i]
		im.record(r, s)
		if d, ok := decoded[s.ID]; ok {
			s = d
		}
		s.Location = im.zones[s.Timezone]
		list = append(list, s)
		byID[s.ID] = s
	}
	return list, byID
}
