package sipedge

import "bytes"

// This file is the one SDP the edge writes itself: the answer that
// refuses every stream of an offer. SDP otherwise passes through
// unchanged.

// refusedAnswer is the SDP answer that refuses every stream of offer
// (RFC 3264 §6): one m= line per offered one, in the same order, with the
// same media, protocol and formats, and port 0. An API-originated call's
// callee whose 200 carried an offer must get an answer in our ACK (RFC
// 3261 §13.2.2.4) even when no agent will take the call: this one sets up
// no media, and the BYE that follows ends the dialog. It returns nil for
// an offer without any line (nothing to answer: the ACK then carries no
// body).
func refusedAnswer(offer []byte) []byte {
	if len(bytes.TrimSpace(offer)) == 0 {
		return nil
	}
	ip6 := false
	var media [][]byte
	for line := range bytes.Lines(offer) {
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(line, []byte("c=")) || bytes.HasPrefix(line, []byte("o=")):
			if bytes.Contains(line, []byte(" IP6 ")) {
				ip6 = true
			}
		case bytes.HasPrefix(line, []byte("m=")):
			// m=<media> <port>[/<n>] <proto> <fmt> ...
			f := bytes.Fields(line[2:])
			if len(f) < 3 {
				continue // not a media description: nothing to refuse
			}
			m := append([]byte("m="), f[0]...)
			m = append(m, " 0 "...)
			m = append(m, bytes.Join(f[2:], []byte(" "))...)
			media = append(media, m)
		}
	}
	addr := "IN IP4 0.0.0.0"
	if ip6 {
		addr = "IN IP6 ::"
	}
	var b bytes.Buffer
	b.WriteString("v=0\r\no=switchboard 0 0 " + addr + "\r\ns=-\r\n")
	if len(media) > 0 {
		b.WriteString("c=" + addr + "\r\n")
	}
	b.WriteString("t=0 0\r\n")
	for _, m := range media {
		b.Write(m)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}
