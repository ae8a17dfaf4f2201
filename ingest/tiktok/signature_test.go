package tiktok_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

func TestSign(t *testing.T) {
	const secret = "app_secret"
	base := tiktok.Sign(secret, "/test-api", url.Values{"foo": {"bar"}}, nil)
	tests := []struct {
		name  string
		path  string
		query url.Values
		body  []byte
		want  string // exact signature, or "" to compare with same/differ
		same  bool   // must equal base
	}{
		{name: "public test vector", path: "/test-api", query: url.Values{"foo": {"bar"}},
			want: "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"},
		{name: "sign is excluded", path: "/test-api", query: url.Values{"foo": {"bar"}, "sign": {"whatever"}}, same: true},
		{name: "access_token is excluded", path: "/test-api", query: url.Values{"foo": {"bar"}, "access_token": {"tok"}}, same: true},
		{name: "empty body equals no body", path: "/test-api", query: url.Values{"foo": {"bar"}}, body: []byte{}, same: true},
		{name: "body is signed", path: "/test-api", query: url.Values{"foo": {"bar"}}, body: []byte(`{"a":1}`)},
		{name: "path is signed", path: "/test-api2", query: url.Values{"foo": {"bar"}}},
		{name: "values are signed", path: "/test-api", query: url.Values{"foo": {"baz"}}},
		{name: "other keys are signed", path: "/test-api", query: url.Values{"foo": {"bar"}, "shop_cipher": {"c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tiktok.Sign(secret, tt.path, tt.query, tt.body)
			switch {
			case tt.want != "":
				if got != tt.want {
					t.Fatalf("Sign = %s, want %s", got, tt.want)
				}
			case tt.same && got != base:
				t.Fatalf("Sign = %s, want the same as without the extra input (%s)", got, base)
			case !tt.same && got == base:
				t.Fatalf("Sign = %s did not change", got)
			}
		})
	}
}

func TestSignSortsKeys(t *testing.T) {
	// Keys are concatenated in sorted order: a1b2 whatever the map order,
	// which is what this hand-built HMAC input checks.
	q := url.Values{"b": {"2"}, "a": {"1"}, "timestamp": {"1700000000"}, "app_key": {"k"}}
	want := tiktok.Sign("s", "/p", url.Values{"a": {"1"}, "app_key": {"k"}, "b": {"2"}, "timestamp": {"1700000000"}}, nil)
	for range 20 { // map iteration order varies between runs
		if got := tiktok.Sign("s", "/p", q, nil); got != want {
			t.Fatalf("Sign depends on map order: %s != %s", got, want)
		}
	}
	if !tiktok.ValidSignature("s", want, "/p", q, nil) {
		t.Fatal("ValidSignature rejects its own signature")
	}
	if tiktok.ValidSignature("s", want[:63]+"0", "/p", q, nil) && want[63] != '0' {
		t.Fatal("ValidSignature accepts a wrong signature")
	}
}

func TestSignRequestSkipsMultipartBody(t *testing.T) {
	body := []byte("--x\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nabc\r\n--x--\r\n")
	tests := []struct {
		name        string
		contentType string
		signsBody   bool
	}{
		{"json body is signed", "application/json", true},
		{"multipart body is not signed", "multipart/form-data; boundary=x", false},
		{"multipart with odd case", "Multipart/Form-Data; boundary=x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "https://example.test/product/202309/images/upload?app_key=k&timestamp=1", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", tt.contentType)
			got := tiktok.SignRequest("s", r, body)
			withBody := tiktok.Sign("s", r.URL.Path, r.URL.Query(), body)
			noBody := tiktok.Sign("s", r.URL.Path, r.URL.Query(), nil)
			want := noBody
			if tt.signsBody {
				want = withBody
			}
			if got != want {
				t.Fatalf("SignRequest = %s, want %s (signs body: %v)", got, want, tt.signsBody)
			}
		})
	}
}
