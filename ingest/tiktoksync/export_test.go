package tiktoksync

// SetAfterBatch makes the webhook worker call f after each batch it handles.
func SetAfterBatch(s *Syncer, f func(n int)) { s.afterBatch = f }

// SetAfterFlush makes s call f after each chunk it imports.
func SetAfterFlush(s *Syncer, f func()) { s.afterFlush = f }
