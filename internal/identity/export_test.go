package identity

import "gbmall/internal/identity/credential"

// Held reports whether token would be answered from memory now.
func (s *Service) Held(token string) bool {
	_, ok := s.held.lookup(credential.HashToken(token), s.clock.Now())
	return ok
}
