//! Cuts an ONNX graph in two at a named tensor, working on the protobuf wire format.
//!
//! Why it exists: batching several texts in one run of a VITS graph shares the run's fixed costs
//! (on a GPU they are most of it), but the graph's last stage, the HiFi-GAN vocoder, is not
//! masked: in a padded batch the frames past an item's end are zeros that the vocoder's biases
//! turn into signal, so the last ~20 ms of every shorter item differ from its unbatched audio
//! (0.04–0.14 max-abs on the tiny deterministic model). Everything before the vocoder *is*
//! masked (the `spectrogram` output of a batch equals each item's own, zero-padded). Cutting the
//! graph at `spectrogram` lets the front run as one batch and the vocoder run once per item on
//! that item's own frames, so batched audio is the unbatched audio.
//!
//! Why by hand: only node inputs/outputs and tensor names have to be read; every other field is
//! copied byte for byte, so nothing of the model is re-encoded or lost, and no ONNX crate (with
//! its protobuf code generation) is needed for these ~150 lines.

use std::borrow::Cow;
use std::collections::HashSet;

/// Field numbers of `onnx.proto3` that are read here.
pub(super) mod field {
    pub const MODEL_GRAPH: u32 = 7;
    pub const GRAPH_NODE: u32 = 1;
    pub const GRAPH_INITIALIZER: u32 = 5;
    pub const GRAPH_INPUT: u32 = 11;
    pub const GRAPH_OUTPUT: u32 = 12;
    pub const GRAPH_VALUE_INFO: u32 = 13;
    pub const GRAPH_SPARSE_INITIALIZER: u32 = 15;
    pub const NODE_INPUT: u32 = 1;
    pub const NODE_OUTPUT: u32 = 2;
    pub const NODE_ATTRIBUTE: u32 = 5;
    pub const ATTRIBUTE_GRAPH: u32 = 6;
    pub const ATTRIBUTE_GRAPHS: u32 = 11;
    pub const TENSOR_NAME: u32 = 8;
    pub const VALUE_INFO_NAME: u32 = 1;
}

pub(super) const LEN: u8 = 2;

/// One field of a protobuf message: its number, wire type, the whole record (key included, to
/// copy it unchanged) and, for length-delimited fields, the payload.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field<'a> {
    pub number: u32,
    pub wire: u8,
    pub record: &'a [u8],
    pub payload: &'a [u8],
}

pub(super) fn varint(buf: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*at).ok_or("truncated varint")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".to_owned())
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(super) fn put_len(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
    put_len_header(out, number, payload.len());
    out.extend_from_slice(payload);
}

/// The tag and length of a length-delimited field whose `len` bytes follow.
fn put_len_header(out: &mut Vec<u8>, number: u32, len: usize) {
    put_varint(out, u64::from(number) << 3 | u64::from(LEN));
    put_varint(out, len as u64);
}

/// The fields of one message, in order.
pub(super) fn fields(buf: &[u8]) -> Result<Vec<Field<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let start = at;
        let key = varint(buf, &mut at)?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number out of range")?;
        let wire = (key & 7) as u8;
        let payload_start;
        match wire {
            0 => {
                varint(buf, &mut at)?;
                payload_start = at;
            }
            1 | 5 => {
                payload_start = at;
                at += if wire == 1 { 8 } else { 4 };
            }
            LEN => {
                let len = usize::try_from(varint(buf, &mut at)?).map_err(|_| "length too large")?;
                payload_start = at;
                at = at.checked_add(len).ok_or("length too large")?;
            }
            other => return Err(format!("unsupported wire type {other}")),
        }
        let record = buf.get(start..at).ok_or("truncated field")?;
        let payload = buf.get(payload_start..at).ok_or("truncated field")?;
        out.push(Field {
            number,
            wire,
            record,
            payload,
        });
    }
    Ok(out)
}

pub(super) fn string_field(message: &[u8], number: u32) -> Result<Option<&str>, String> {
    Ok(fields(message)?
        .into_iter()
        .find(|f| f.number == number && f.wire == LEN)
        .map(|f| std::str::from_utf8(f.payload).map_err(|_| "a name is not UTF-8"))
        .transpose()?)
}

struct Node<'a> {
    inputs: Vec<&'a str>,
    outputs: Vec<&'a str>,
}

fn node(f: Field<'_>) -> Result<Node<'_>, String> {
    let mut node = Node {
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    for part in fields(f.payload)? {
        let text = || std::str::from_utf8(part.payload).map_err(|_| "a name is not UTF-8");
        match part.number {
            field::NODE_INPUT => node.inputs.push(text()?),
            field::NODE_OUTPUT => node.outputs.push(text()?),
            field::NODE_ATTRIBUTE => {
                let nested = fields(part.payload)?.into_iter().any(|a| {
                    a.number == field::ATTRIBUTE_GRAPH || a.number == field::ATTRIBUTE_GRAPHS
                });
                if nested {
                    // A subgraph may use names of the outer graph that this cut would not see.
                    return Err("the graph has control-flow nodes (subgraphs)".to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(node)
}

/// A model's top-level fields and the payload of its graph.
pub(super) fn split_model(model: &[u8]) -> Result<(Vec<Field<'_>>, &[u8]), String> {
    let model_fields = fields(model)?;
    let graph = model_fields
        .iter()
        .find(|f| f.number == field::MODEL_GRAPH && f.wire == LEN)
        .ok_or("the model has no graph")?
        .payload;
    Ok((model_fields, graph))
}

/// A model holding only what computes `outputs` from `inputs` (tensors of `model`'s graph:
/// graph inputs or any intermediate or output value with declared type information).
pub(crate) fn extract(model: &[u8], inputs: &[&str], outputs: &[&str]) -> Result<Vec<u8>, String> {
    let (model_fields, graph) = split_model(model)?;
    let graph_fields = fields(graph)?;
    let nodes: Vec<Node<'_>> = graph_fields
        .iter()
        .filter(|f| f.number == field::GRAPH_NODE)
        .map(|f| node(*f))
        .collect::<Result<_, _>>()?;

    let cut: HashSet<&str> = inputs.iter().copied().collect();
    let kept = walk_back(&nodes, &cut, outputs);
    check_complete(&graph_fields, &kept, &cut, inputs, outputs)?;
    let declared = declarations(&graph_fields)?;
    let mut new_graph = kept_graph(&graph_fields, &kept, outputs)?;
    for name in inputs {
        let record = len_record(field::GRAPH_INPUT, declaration(&declared, name)?);
        new_graph.push(Cow::Owned(record));
    }
    for name in outputs {
        let record = len_record(field::GRAPH_OUTPUT, declaration(&declared, name)?);
        new_graph.push(Cow::Owned(record));
    }
    Ok(with_graph(&model_fields, &new_graph))
}

/// What of a graph the cut keeps.
struct Kept<'a> {
    /// For each node, in order: whether it is kept.
    nodes: Vec<bool>,
    /// The outputs and every value a kept node reads, short of the cut.
    needed: HashSet<&'a str>,
    /// Every value a kept node writes.
    produced: HashSet<&'a str>,
}

/// Walks back from the outputs (nodes are stored in topological order), stopping at the cut.
fn walk_back<'a>(nodes: &[Node<'a>], cut: &HashSet<&'a str>, outputs: &[&'a str]) -> Kept<'a> {
    let mut needed: HashSet<&str> = outputs.iter().copied().collect();
    let mut keep = vec![false; nodes.len()];
    for (index, n) in nodes.iter().enumerate().rev() {
        if n.outputs.iter().any(|o| needed.contains(o)) {
            keep[index] = true;
            needed.extend(
                n.inputs
                    .iter()
                    .filter(|i| !i.is_empty() && !cut.contains(*i)),
            );
        }
    }
    let produced: HashSet<&str> = nodes
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .flat_map(|(n, _)| n.outputs.iter().copied())
        .collect();
    Kept {
        nodes: keep,
        needed,
        produced,
    }
}

/// Fails when a needed value is neither produced by a kept node, an initializer, nor an input.
fn check_complete(
    graph_fields: &[Field<'_>],
    kept: &Kept<'_>,
    cut: &HashSet<&str>,
    inputs: &[&str],
    outputs: &[&str],
) -> Result<(), String> {
    let mut initializers = HashSet::new();
    for f in graph_fields
        .iter()
        .filter(|f| f.number == field::GRAPH_INITIALIZER)
    {
        if let Some(name) = string_field(f.payload, field::TENSOR_NAME)? {
            initializers.insert(name);
        }
    }
    let mut missing: Vec<&str> = kept
        .needed
        .iter()
        .copied()
        .filter(|n| !kept.produced.contains(n) && !initializers.contains(n) && !cut.contains(n))
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        return Err(format!(
            "{outputs:?} also depend on {missing:?}, not only on {inputs:?}"
        ));
    }
    Ok(())
}

/// Type information of every named value, to declare the new graph's inputs and outputs.
fn declarations<'a>(graph_fields: &[Field<'a>]) -> Result<Vec<(&'a str, &'a [u8])>, String> {
    let mut declared: Vec<(&str, &[u8])> = Vec::new();
    for f in graph_fields.iter().filter(|f| {
        matches!(
            f.number,
            field::GRAPH_INPUT | field::GRAPH_OUTPUT | field::GRAPH_VALUE_INFO
        )
    }) {
        if let Some(name) = string_field(f.payload, field::VALUE_INFO_NAME)? {
            declared.push((name, f.payload));
        }
    }
    Ok(declared)
}

/// The declared type information of `name`.
fn declaration<'a>(declared: &[(&str, &'a [u8])], name: &str) -> Result<&'a [u8], String> {
    declared
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, payload)| *payload)
        .ok_or_else(|| format!("`{name}` has no declared type in the graph"))
}

/// The graph's fields that the cut keeps (unchanged records of `graph_fields`), without
/// inputs and outputs.
fn kept_graph<'a>(
    graph_fields: &[Field<'a>],
    kept: &Kept<'_>,
    outputs: &[&str],
) -> Result<Vec<Cow<'a, [u8]>>, String> {
    let mut new_graph = Vec::with_capacity(graph_fields.len());
    let mut nodes_kept = kept.nodes.iter();
    for f in graph_fields {
        let keep = match f.number {
            field::GRAPH_NODE => nodes_kept.next().copied().unwrap_or(false),
            field::GRAPH_INITIALIZER => {
                let name = string_field(f.payload, field::TENSOR_NAME)?.unwrap_or("");
                kept.needed.contains(name)
            }
            field::GRAPH_INPUT | field::GRAPH_OUTPUT => false,
            field::GRAPH_VALUE_INFO => {
                let name = string_field(f.payload, field::VALUE_INFO_NAME)?.unwrap_or("");
                kept.produced.contains(name) && !outputs.contains(&name)
            }
            field::GRAPH_SPARSE_INITIALIZER => {
                return Err("the graph has sparse initializers".to_owned())
            }
            _ => true,
        };
        if keep {
            new_graph.push(Cow::Borrowed(f.record));
        }
    }
    Ok(new_graph)
}

/// One length-delimited field record.
pub(super) fn len_record(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 12);
    put_len(&mut out, number, payload);
    out
}

/// The model's fields, copied unchanged, with a graph made of the records `new_graph` in place
/// of its graph. Written in one pass into one buffer: the model is as large as its weights (a
/// hundred megabytes), so no intermediate copy of the graph is made.
pub(super) fn with_graph(model_fields: &[Field<'_>], new_graph: &[Cow<'_, [u8]>]) -> Vec<u8> {
    let graph_len: usize = new_graph.iter().map(|r| r.len()).sum();
    let others: usize = model_fields
        .iter()
        .filter(|f| f.number != field::MODEL_GRAPH)
        .map(|f| f.record.len())
        .sum();
    let mut out = Vec::with_capacity(others + graph_len + 12);
    for f in model_fields {
        if f.number == field::MODEL_GRAPH {
            put_len_header(&mut out, field::MODEL_GRAPH, graph_len);
            for record in new_graph {
                out.extend_from_slice(record);
            }
        } else {
            out.extend_from_slice(f.record);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(number: u32, s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, number, s.as_bytes());
        out
    }

    fn message(number: u32, parts: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, number, &parts.concat());
        out
    }

    fn node(inputs: &[&str], outputs: &[&str], op: &str) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = inputs.iter().map(|i| string(1, i)).collect();
        parts.extend(outputs.iter().map(|o| string(2, o)));
        parts.push(string(4, op));
        message(field::GRAPH_NODE, &parts)
    }

    fn value(number: u32, name: &str) -> Vec<u8> {
        message(number, &[string(1, name), string(2, "typed")])
    }

    fn initializer(name: &str) -> Vec<u8> {
        message(field::GRAPH_INITIALIZER, &[string(8, name)])
    }

    /// x → A(w1) → h → B(w2) → y, and h is also an output.
    fn model() -> Vec<u8> {
        let graph = [
            node(&["x", "w1"], &["h"], "A"),
            node(&["h", "w2"], &["y"], "B"),
            initializer("w1"),
            initializer("w2"),
            value(field::GRAPH_INPUT, "x"),
            value(field::GRAPH_OUTPUT, "y"),
            value(field::GRAPH_OUTPUT, "h"),
        ];
        let mut out = Vec::new();
        out.extend([8u8, 7]); // ir_version = 7 (a varint field, copied as is)
        out.extend(message(field::MODEL_GRAPH, &graph));
        out
    }

    fn graph_of(model: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let all = fields(model).unwrap();
        let graph = all.iter().find(|f| f.number == 7).unwrap();
        fields(graph.payload)
            .unwrap()
            .into_iter()
            .map(|f| (f.number, f.payload.to_vec()))
            .collect()
    }

    fn names(graph: &[(u32, Vec<u8>)], number: u32, name_field: u32) -> Vec<String> {
        graph
            .iter()
            .filter(|(n, _)| *n == number)
            .filter_map(|(_, p)| string_field(p, name_field).unwrap().map(str::to_owned))
            .collect()
    }

    #[test]
    fn the_back_half_keeps_its_node_weights_and_declares_the_cut_as_input() {
        let back = extract(&model(), &["h"], &["y"]).unwrap();
        assert_eq!(&back[..2], &[8, 7]);
        let graph = graph_of(&back);
        let nodes: Vec<_> = graph.iter().filter(|(n, _)| *n == 1).collect();
        assert_eq!(nodes.len(), 1);
        assert_eq!(names(&graph, 5, 8), ["w2"]);
        assert_eq!(names(&graph, 11, 1), ["h"]);
        assert_eq!(names(&graph, 12, 1), ["y"]);
    }

    #[test]
    fn the_front_half_ends_at_the_cut() {
        let front = extract(&model(), &["x"], &["h"]).unwrap();
        let graph = graph_of(&front);
        assert_eq!(graph.iter().filter(|(n, _)| *n == 1).count(), 1);
        assert_eq!(names(&graph, 5, 8), ["w1"]);
        assert_eq!(names(&graph, 11, 1), ["x"]);
        assert_eq!(names(&graph, 12, 1), ["h"]);
    }

    #[test]
    fn a_cut_that_leaves_a_dependency_outside_is_refused() {
        let err = extract(&model(), &["w2"], &["y"]).unwrap_err();
        assert!(err.contains("\"x\""), "{err}");
    }

    #[test]
    fn broken_bytes_are_an_error_not_a_panic() {
        let m = model();
        for len in 0..m.len() {
            let _ = extract(&m[..len], &["h"], &["y"]);
        }
        assert!(extract(&[0xff; 12], &["h"], &["y"]).is_err());
        assert!(extract(&[], &["h"], &["y"]).is_err());
    }
}
