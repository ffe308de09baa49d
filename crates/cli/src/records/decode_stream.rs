//! A strict streaming decoder: a file's bytes, in the encoding `decode` chose, read as UTF-8
//! text a chunk at a time. It stops at the first byte that does not decode (and, for a guess
//! without a byte-order mark, at a NUL byte), keeping where that was, so the file is refused
//! with the offset rather than imported with garbled names. Its memory is two buffers,
//! whatever the size of the file.

use super::decode::{Chosen, Problem};
use encoding_rs::{Decoder, DecoderResult, UTF_8};
use std::io::{self, BufRead, Read};

/// Bytes read from the file at a time.
const CHUNK: usize = 64 << 10;

/// The text of `inner` (positioned after the byte-order mark) as UTF-8.
pub(super) struct DecodeReader<'a> {
    inner: &'a mut dyn Read,
    /// None for UTF-8, which is checked in place rather than decoded.
    decoder: Option<Decoder>,
    refuse_nul: bool,
    input: Vec<u8>,
    /// The bytes of `input` not yet decoded.
    in_start: usize,
    /// The offset, after the BOM, of `input[in_start]`.
    offset: u64,
    eof: bool,
    output: Vec<u8>,
    out_pos: usize,
    problem: Option<Problem>,
    finished: bool,
}

impl<'a> DecodeReader<'a> {
    pub fn new(inner: &'a mut dyn Read, chosen: Chosen) -> DecodeReader<'a> {
        let decoder =
            (chosen.encoding != UTF_8).then(|| chosen.encoding.new_decoder_without_bom_handling());
        DecodeReader {
            inner,
            decoder,
            refuse_nul: chosen.refuses_nul(),
            input: Vec::with_capacity(CHUNK),
            in_start: 0,
            offset: 0,
            eof: false,
            output: Vec::new(),
            out_pos: 0,
            problem: None,
            finished: false,
        }
    }

    /// Why the text stopped, if it stopped at a byte that does not decode.
    pub fn problem(&self) -> Option<Problem> {
        self.problem
    }

    /// Reads the next chunk of the file behind the bytes not yet decoded.
    fn top_up(&mut self) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        self.input.drain(..self.in_start);
        self.in_start = 0;
        let old = self.input.len();
        self.input.resize(CHUNK.max(old + 16), 0);
        let read = loop {
            match self.inner.read(&mut self.input[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.input.truncate(old);
                    return Err(e);
                }
            }
        };
        self.input.truncate(old + read);
        if read == 0 {
            self.eof = true;
        } else if self.refuse_nul && self.input[old..].contains(&0) {
            self.problem = Some(Problem::Nul);
        }
        Ok(())
    }

    /// Decodes what the input holds into `output` (which is empty).
    fn decode_more(&mut self) -> io::Result<()> {
        self.top_up()?;
        if self.problem.is_some() {
            return Ok(());
        }
        self.output.clear();
        self.out_pos = 0;
        let pending = &self.input[self.in_start..];
        let consumed = match &mut self.decoder {
            None => match std::str::from_utf8(pending) {
                Ok(_) => {
                    self.output.extend_from_slice(pending);
                    self.finished = self.eof;
                    pending.len()
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.output.extend_from_slice(&pending[..valid]);
                    // A character cut off by the chunk's end waits for the next chunk.
                    if e.error_len().is_some() || self.eof {
                        self.problem = Some(Problem::Malformed {
                            offset: self.offset + valid as u64,
                        });
                    }
                    valid
                }
            },
            Some(decoder) => {
                let room = decoder
                    .max_utf8_buffer_length_without_replacement(pending.len())
                    .unwrap_or(CHUNK * 3)
                    .clamp(16, CHUNK * 3);
                self.output.resize(room, 0);
                let (result, read, written) =
                    decoder.decode_to_utf8_without_replacement(pending, &mut self.output, self.eof);
                self.output.truncate(written);
                match result {
                    DecoderResult::InputEmpty => self.finished = self.eof,
                    DecoderResult::OutputFull => {}
                    DecoderResult::Malformed(bad, after) => {
                        let end = self.offset + read as u64;
                        self.problem = Some(Problem::Malformed {
                            offset: end.saturating_sub(u64::from(bad) + u64::from(after)),
                        });
                    }
                }
                read
            }
        };
        self.in_start += consumed;
        self.offset += consumed as u64;
        Ok(())
    }
}

impl BufRead for DecodeReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.out_pos >= self.output.len() {
            if let Some(problem) = self.problem {
                return Err(io::Error::new(io::ErrorKind::InvalidData, problem));
            }
            if self.finished {
                return Ok(&[]);
            }
            self.decode_more()?;
        }
        Ok(&self.output[self.out_pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.out_pos = (self.out_pos + amount).min(self.output.len());
    }
}

impl Read for DecodeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Up to `limit` bytes from the start of `inner`, for the guess of its encoding.
pub(super) fn read_prefix(inner: &mut dyn Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(limit.min(CHUNK));
    inner.take(limit as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::super::decode::{choose, TextEncoding};
    use super::*;

    /// Gives its bytes one at a time: every character of more than one byte is split.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((first, rest)), Some(slot)) => {
                    *slot = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn decode(bytes: &[u8], asked: TextEncoding) -> (io::Result<String>, Option<Problem>) {
        let mut inner = OneByte(bytes);
        let mut reader = DecodeReader::new(&mut inner, choose(b"", asked));
        let mut text = String::new();
        let result = reader.read_to_string(&mut text).map(|_| text);
        (result, reader.problem())
    }

    #[test]
    fn characters_split_between_reads_decode_whole() {
        let text = "手机号,姓名\n13800138000,欧阳𠀀é\n";
        let (decoded, problem) = decode(text.as_bytes(), TextEncoding::Utf8);
        assert_eq!((decoded.unwrap().as_str(), problem), (text, None));
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let (decoded, problem) = decode(&gbk, TextEncoding::Gb18030);
        assert_eq!((decoded.unwrap().as_str(), problem), (text, None));
    }

    #[test]
    fn the_first_bad_byte_is_found_between_reads() {
        let mut bytes = "ab张".as_bytes().to_vec();
        bytes.insert(3, b'x');
        let (decoded, problem) = decode(&bytes, TextEncoding::Utf8);
        assert!(decoded.is_err());
        assert_eq!(problem, Some(Problem::Malformed { offset: 2 }));
        let (_, problem) = decode(b"ab\x81", TextEncoding::Gb18030);
        assert_eq!(problem, Some(Problem::Malformed { offset: 2 }));
        let (_, problem) = decode(b"ab\0c", TextEncoding::Auto);
        assert_eq!(problem, Some(Problem::Nul));
    }
}
