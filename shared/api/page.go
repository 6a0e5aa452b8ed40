package api

import (
	"bytes"
	"encoding/json"
)

// ListKey names the JSON key a list's items are under ("clients", "users",
// …). Each list has its own key type, so that one Page type serves every
// list while each keeps the key its clients already read.
type ListKey interface {
	Key() string
}

// Page is one page of a list answer: {<key>: [items…], "next_page_token":
// "…"}, the key given by K. An empty NextPageToken means this is the last
// page. Items encode as [] when there are none, never null.
type Page[T any, K ListKey] struct {
	Items         []T
	NextPageToken string
}

// NextPageTokenKey is the JSON key of the token of the next page.
const NextPageTokenKey = "next_page_token"

// ItemsKey is the JSON key the items are under.
func (Page[T, K]) ItemsKey() string {
	var k K
	return k.Key()
}

// MarshalJSON writes {<key>: items, "next_page_token": token}.
func (p Page[T, K]) MarshalJSON() ([]byte, error) {
	items := p.Items
	if items == nil {
		items = []T{}
	}
	key, err := json.Marshal(p.ItemsKey())
	if err != nil {
		return nil, err
	}
	list, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	token, err := json.Marshal(p.NextPageToken)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(key) + len(list) + len(token) + len(NextPageTokenKey) + 8)
	b.WriteByte('{')
	b.Write(key)
	b.WriteByte(':')
	b.Write(list)
	b.WriteString(`,"` + NextPageTokenKey + `":`)
	b.Write(token)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads {<key>: items, "next_page_token": token}; other keys
// are ignored, as encoding/json does for structs.
func (p *Page[T, K]) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	*p = Page[T, K]{}
	if raw, ok := fields[p.ItemsKey()]; ok {
		if err := json.Unmarshal(raw, &p.Items); err != nil {
			return err
		}
	}
	if raw, ok := fields[NextPageTokenKey]; ok {
		if err := json.Unmarshal(raw, &p.NextPageToken); err != nil {
			return err
		}
	}
	return nil
}
