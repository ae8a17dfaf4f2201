package templates

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text is unchanged", "Acme Beauty TH", "Acme Beauty TH"},
		{"entities", "a<b>&c", "a&lt;b&gt;&amp;c"},
		{"a broadcast", "<!channel> refund", "&lt;!channel&gt; refund"},
		{"a disguised link", "<https://evil.example|refund me>", "&lt;https://evil.example|refund me&gt;"},
		{"an entity stays visible as typed", "&amp;", "&amp;amp;"},
		{"bold that would run into the text around it", "Serum *50% off*", "Serum ∗50% off∗"},
		{"italic and strike at word edges", "_new_ ~old~", "ˍnewˍ ∼old∼"},
		{"a marker at the end of the text", "Serum_", "Serumˍ"},
		{"markers inside words stay", "ecom_order_damaged SKU*2 a~b", "ecom_order_damaged SKU*2 a~b"},
		{"markers between letters of other scripts stay", "เซรั่ม_ขวด", "เซรั่ม_ขวด"},
		{"backticks always go", "p`1` ```x```", "pˋ1ˋ ˋˋˋxˋˋˋ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
