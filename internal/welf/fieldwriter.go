package welf

// FieldWriter receives the fields of one WELF record after its header: the
// field methods of Builder, as the mappings of the sources (Airlock, MWG)
// need them. Str and Bytes take structured values (addresses, IDs, codes,
// paths), Text and TextBytes free text that an encoder may shorten to
// respect a size cap. An implementation must not keep val after the call
// returns: callers reuse the buffers they compose values in.
type FieldWriter interface {
	Str(key, val string)
	Bytes(key string, val []byte)
	Text(key, val string)
	TextBytes(key string, val []byte)
	Int(key string, v int64)
	Has(key string) bool
}

var _ FieldWriter = (*Builder)(nil)
