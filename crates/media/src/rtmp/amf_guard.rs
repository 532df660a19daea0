//! A non-recursive walk over AMF0 bytes that says whether rml_amf0 may
//! decode them: rml_amf0 recurses once per nested object or array, so a
//! few kilobytes of nesting would overflow the stack. Values deeper than
//! [`MAX_DEPTH`], markers it does not know and truncated values are refused
//! here, before any decoding.

/// Real commands nest two or three levels (a connect's object).
pub const MAX_DEPTH: usize = 8;

/// Whether `data` is a sequence of AMF0 values rml_amf0 can decode with at
/// most [`MAX_DEPTH`] levels of nesting.
pub fn acceptable(data: &[u8]) -> bool {
    top_level_values(data).is_some()
}

/// How many top-level values `data` holds, if it is [`acceptable`]
/// (rml_rtmp's command decoding indexes the first three without checking).
pub fn top_level_values(data: &[u8]) -> Option<usize> {
    let mut count = 0;
    // Each open container: `Some(n)` a strict array with n values left,
    // `None` an object (properties until the end marker).
    let mut stack: Vec<Option<u32>> = Vec::new();
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> Option<usize> {
        let start = *at;
        *at = at.checked_add(n)?;
        (*at <= data.len()).then_some(start)
    };
    loop {
        match stack.last_mut() {
            None if at == data.len() => return Some(count),
            Some(Some(0)) => {
                stack.pop();
                continue;
            }
            Some(Some(left)) => *left -= 1,
            Some(None) => {
                // a property: a name, or the empty name and the end marker
                let s = take(&mut at, 2)?;
                let len = usize::from(u16::from_be_bytes([data[s], data[s + 1]]));
                if len == 0 {
                    if take(&mut at, 1).is_none_or(|s| data[s] != 9) {
                        return None;
                    }
                    stack.pop();
                    continue;
                }
                take(&mut at, len)?;
            }
            None => {}
        }
        let s = take(&mut at, 1)?;
        if stack.is_empty() {
            count += 1;
        }
        let ok = match data[s] {
            0 => take(&mut at, 8).is_some(),
            1 => take(&mut at, 1).is_some(),
            2 => take(&mut at, 2)
                .and_then(|s| take(&mut at, usize::from(u16::from_be_bytes([data[s], data[s + 1]]))))
                .is_some(),
            5 | 6 => true,
            3 => {
                stack.push(None);
                stack.len() <= MAX_DEPTH
            }
            8 => {
                let ok = take(&mut at, 4).is_some();
                stack.push(None);
                ok && stack.len() <= MAX_DEPTH
            }
            10 => match take(&mut at, 4) {
                Some(s) => {
                    stack.push(Some(u32::from_be_bytes([data[s], data[s + 1], data[s + 2], data[s + 3]])));
                    stack.len() <= MAX_DEPTH
                }
                None => false,
            },
            // an end marker at the top level ends rml_amf0's decoding
            9 if stack.is_empty() => return Some(count - 1),
            _ => false,
        };
        if !ok {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rml_amf0::Amf0Value;
    use std::collections::HashMap;

    #[test]
    fn real_commands_pass_and_deep_nesting_does_not() {
        let mut inner = HashMap::new();
        inner.insert("app".to_string(), Amf0Value::Utf8String("live".into()));
        inner.insert("list".to_string(), Amf0Value::StrictArray(vec![Amf0Value::Number(1.0), Amf0Value::Null]));
        let values = vec![Amf0Value::Utf8String("connect".into()), Amf0Value::Number(1.0), Amf0Value::Object(inner)];
        let bytes = rml_amf0::serialize(&values).unwrap();
        assert!(acceptable(&bytes));
        assert!(!acceptable(&bytes[..bytes.len() - 1]));

        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend_from_slice(&[3, 0, 1, b'a']);
        }
        assert!(!acceptable(&deep));
    }

    proptest! {
        #[test]
        fn whatever_passes_decodes_without_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            if acceptable(&data) {
                let _ = rml_amf0::deserialize(&mut std::io::Cursor::new(&data));
            }
        }
    }
}
