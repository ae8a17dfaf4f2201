package tiktoksync

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinSecretKeyLength is the shortest SHOPWATCH_SECRET_KEY accepted. A random
// string of 32 characters or more is what it should be, e.g. the output of
// `openssl rand -base64 32`.
const MinSecretKeyLength = 16

// ErrNoSecretKey is returned when no key to seal tokens with is set:
// shopwatch refuses to store TikTok tokens unencrypted.
var ErrNoSecretKey = errors.New("SHOPWATCH_SECRET_KEY is not set: shopwatch keeps TikTok tokens only encrypted, so it needs a key (e.g. `openssl rand -base64 32`)")

// sealVersion prefixes every sealed value, so that the format can change.
const sealVersion = 1

// sealer encrypts tokens at rest with AES-256-GCM. The key is derived from
// the secret with HKDF-SHA256; each value gets a random nonce, and the
// additional data ties a sealed value to the record it belongs to, so that
// one seller's sealed token cannot be passed off as another's.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret string) (*sealer, error) {
	if secret == "" {
		return nil, ErrNoSecretKey
	}
	if len(secret) < MinSecretKeyLength {
		return nil, fmt.Errorf("SHOPWATCH_SECRET_KEY is too short (%d characters): use a random string of at least %d, better 32 or more (e.g. `openssl rand -base64 32`)", len(secret), MinSecretKeyLength)
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "shopwatch tiktok tokens v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plain for the record named by aad.
func (s *sealer) seal(plain []byte, aad string) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return s.aead.Seal(out, out[1:], plain, []byte(aad))
}

// errSealed is what open reports for a value it cannot open, whatever the
// reason: a different key, another record's value, or damage.
var errSealed = errors.New("cannot decrypt the stored token: SHOPWATCH_SECRET_KEY is not the key it was stored with, or the record is damaged; set the original key or authorize the shop again")

// open decrypts a value sealed for the record named by aad.
func (s *sealer) open(sealed []byte, aad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errSealed
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(aad))
	if err != nil {
		return nil, errSealed
	}
	return plain, nil
}
