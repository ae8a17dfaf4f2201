package templates

import (
	"strings"
	"unicode/utf8"

	"github.com/shopwatch/shopwatch/rules"
)

// Appeal is the data of the "appeal" block: a draft letter that states
// only what the shop's records show, and leaves every other claim to the
// seller as a [CONFIRM: …] or [ATTACH: …] placeholder.
type Appeal struct {
	Kind        AppealKind
	Shop        Shop
	From, Date  string // the window's first and last dates, YYYY-MM-DD
	WindowDays  int
	Target      *Product // the product the letter is about, when named (ID and Name)
	Evidence    AppealEvidence
	Causes      []rules.TallyEntry // seller-side causes with feedback in the window, in the tally's order (rules.Tally)
	SizeChart   bool               // wrong-item or description complaints mention sizes
	TargetHours float64            // chat response target
}

// AppealEvidence is the feedback the records show that should not count
// against the shop (or product), each counted in its own unit.
type AppealEvidence struct {
	NegativeReviews  int      // 1-2 star reviews in the window
	LogisticsReviews int      // of those, about delivery only
	LogisticsOrders  []string // some of their order ids
	MoreLogistics    bool     // the reviews have more orders than LogisticsOrders
	Returns          int      // returns in the window
	BuyerReturns     int      // live returns with a buyer reason
	Withdrawn        int      // returns the buyer cancelled
	SellerWon        int      // returns decided for the seller
	ReturnOrders     []string // some order ids of the three kinds above
	MoreReturns      bool     // the returns have more orders than ReturnOrders
	ChatOnTime       int      // buyer chats answered within the target
	ChatTurns        int      // buyer chats judged (on time + late); 0: chat is not quoted
	ChatShare        float64  // ChatOnTime / ChatTurns
}

// Any reports whether there is evidence to cite.
func (e AppealEvidence) Any() bool {
	return e.LogisticsReviews > 0 || e.BuyerReturns > 0 || e.Withdrawn > 0 || e.SellerWon > 0 || e.ChatTurns > 0
}

// Disputed is the number of returns the letter disputes.
func (e AppealEvidence) Disputed() int { return e.BuyerReturns + e.Withdrawn + e.SellerWon }

// AppealLimit is the longest appeal letter, in characters.
const AppealLimit = 1800

// Cut says what Appeal left out to keep the letter within the limit.
type Cut struct {
	Causes    int      // causes left out, the least feedback first
	Left      []string // their descriptions
	Truncated bool     // the text itself was cut
}

// Any reports whether anything was left out.
func (c Cut) Any() bool { return c.Causes > 0 || c.Truncated }

// String describes the cut for the reader.
func (c Cut) String() string {
	var parts []string
	if c.Causes > 0 {
		parts = append(parts, Plural(c.Causes, "cause", "causes")+" ("+strings.Join(c.Left, "; ")+")")
	}
	if c.Truncated {
		parts = append(parts, "the end of the text")
	}
	return strings.Join(parts, ", ")
}

// truncMark ends a letter that had to be cut.
const truncMark = "\n[… draft cut here to stay within 1,800 characters]"

// Appeal renders the appeal letter of data within limit characters
// (AppealLimit when limit is 0). It first leaves out the causes with the
// least feedback, and only then cuts the text at a line end, and it
// reports what it left out.
func (s *Set) Appeal(data Appeal, limit int) (string, Cut, error) {
	if limit <= 0 {
		limit = AppealLimit
	}
	causes := data.Causes
	for nc := len(causes); ; nc-- {
		d := data
		d.Causes = causes[:nc]
		text, err := s.Render("appeal", d)
		if err != nil {
			return "", Cut{}, err
		}
		cut := Cut{Causes: len(causes) - nc}
		for _, c := range causes[nc:] {
			cut.Left = append(cut.Left, appealLabel(c))
		}
		if utf8.RuneCountInString(text) <= limit {
			return text, cut, nil
		}
		if nc == 0 {
			cut.Truncated = true
			return truncate(text, limit-utf8.RuneCountInString(truncMark)) + truncMark, cut, nil
		}
	}
}

// truncate cuts s to at most n characters, at the last line end if there is
// one in the second half, else at the last space.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := string(r[:n])
	if i := strings.LastIndexByte(head, '\n'); i > len(head)/2 {
		return strings.TrimRight(head[:i], " ")
	}
	if i := strings.LastIndexByte(head, ' '); i > 0 {
		return head[:i]
	}
	return head
}

// OtherDescription describes the cause "other" in a letter: reviews
// without a cause and return reasons that stand for none, merged.
const OtherDescription = "feedback without a clear cause"

// appealLabel is a cause's wording in a letter.
func appealLabel(c rules.TallyEntry) string {
	if c.Cause == rules.CauseOther.String() {
		return OtherDescription
	}
	return c.Label()
}
