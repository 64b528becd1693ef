//! The protobuf codec of tweetguide's own services.
//!
//! It is tonic-prost's codec with one change: a message that cannot be
//! decoded is the caller's fault, so it gets `INVALID_ARGUMENT` (tonic-prost
//! says `INTERNAL`) with a message naming the field and the index of the
//! offending element, e.g. `tweets[3].text: invalid string value: data is not
//! UTF-8 encoded`. Invalid UTF-8 therefore never reaches the scorer.

use std::marker::PhantomData;

use prost::Message;
use prost::bytes::Buf;
use prost::encoding::{WireType, decode_key, decode_varint};
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Codec used by the generated `tweetguide.v1` clients and servers.
#[derive(Debug, Clone)]
pub struct ProtoCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for ProtoCodec<T, U> {
    fn default() -> Self {
        ProtoCodec(PhantomData)
    }
}

impl<T, U> Codec for ProtoCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProtoEncoder<T>;
    type Decoder = ProtoDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProtoEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProtoDecoder(PhantomData)
    }
}

/// Encoder half of [`ProtoCodec`].
#[derive(Debug)]
pub struct ProtoEncoder<T>(PhantomData<T>);

impl<T: Message> Encoder for ProtoEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // EncodeBuf grows on demand, so encoding cannot run out of space.
        item.encode(buf).map_err(|e| Status::internal(format!("cannot encode response: {e}")))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// Decoder half of [`ProtoCodec`].
#[derive(Debug)]
pub struct ProtoDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let len = buf.remaining();
        decode_message(buf.copy_to_bytes(len)).map(Some)
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// Decodes one request message; a malformed one is `INVALID_ARGUMENT` naming the field and index.
pub(crate) fn decode_message<U: Message + Default>(bytes: prost::bytes::Bytes) -> Result<U, Status> {
    U::decode(bytes.clone()).map_err(|error| Status::invalid_argument(describe_decode_error::<U>(&bytes, &error)))
}

/// Turns prost's error (innermost field first: `Tweet.text: ClassifyRequest.tweets:
/// invalid string value`) into a path with the index of the bad element
/// (`tweets[3].text: invalid string value`).
fn describe_decode_error<U: Message + Default>(bytes: &[u8], error: &prost::DecodeError) -> String {
    let text = error.to_string();
    let body = text.strip_prefix("failed to decode Protobuf message: ").unwrap_or(&text);
    let mut fields: Vec<&str> = Vec::new();
    let mut rest = body;
    while let Some((head, tail)) = rest.split_once(": ") {
        match head.rsplit_once('.') {
            Some((message, field)) if !message.contains(' ') && !field.contains(' ') => {
                fields.push(field);
                rest = tail;
            }
            _ => break,
        }
    }
    if fields.is_empty() {
        return format!("undecodable request: {body}");
    }
    fields.reverse();
    let index = bad_top_level_element::<U>(bytes).map(|i| format!("[{i}]")).unwrap_or_default();
    let path = format!("{}{index}{}", fields[0], fields[1..].iter().map(|f| format!(".{f}")).collect::<String>());
    format!("{path}: {rest}")
}

/// Finds which occurrence of a top-level field breaks decoding, by decoding
/// each top-level field on its own. Only runs on the error path.
fn bad_top_level_element<U: Message + Default>(mut bytes: &[u8]) -> Option<usize> {
    let mut seen: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    while bytes.has_remaining() {
        let start = bytes;
        let (field, wire_type) = decode_key(&mut bytes).ok()?;
        match wire_type {
            WireType::Varint => {
                decode_varint(&mut bytes).ok()?;
            }
            WireType::SixtyFourBit => bytes.advance(8.min(bytes.len())),
            WireType::ThirtyTwoBit => bytes.advance(4.min(bytes.len())),
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut bytes).ok()?).ok()?;
                if len > bytes.len() {
                    return None;
                }
                bytes.advance(len);
            }
            WireType::StartGroup | WireType::EndGroup => return None,
        }
        let occurrence = seen.entry(field).or_insert(0);
        let one_field = &start[..start.len() - bytes.len()];
        if U::decode(one_field).is_err() {
            return Some(*occurrence);
        }
        *occurrence += 1;
    }
    None
}
