//! Gives a layout-(a) graph (Hugging Face `VitsModel` export) a `length_scale` input, so a
//! request's `speed` changes how long each sound lasts.
//!
//! Why: the export bakes `length_scale = 1 / speaking_rate` into the graph as a constant, in
//! `duration = ceil(exp(log_duration) * mask * length_scale)`; left alone, every speed gives the
//! same audio. Replacing that one constant with an input is a real change of duration (the
//! duration predictor's frames are repeated more or fewer times, pitch unchanged), exactly what
//! layouts (b) and (c) do with their own `length_scale` input; a resample would shift the pitch
//! and a time-stretch would smear the vocoder's output. The input has shape `[batch, 1, 1]`, so
//! each item of a batch keeps its own speed.
//!
//! Found by shape, not by name: the one `Mul` that feeds a `Ceil` and multiplies a scalar float
//! constant with a product of an `Exp`. Graphs without exactly one such node are left as they
//! are (and refuse speeds other than 1). Works on the protobuf wire format like
//! [`super::graph_cut`]: only the one node is rewritten; everything else is copied byte for byte.

use std::borrow::Cow;
use std::collections::HashMap;

use super::graph_cut::{
    field, fields, len_record, put_len, put_varint, split_model, string_field, varint, with_graph,
    Field, LEN,
};

/// Name of the input this adds.
pub(crate) const INPUT: &str = "length_scale";

/// Field numbers read here beyond [`field`].
const NODE_OP_TYPE: u32 = 4;
const ATTRIBUTE_NAME: u32 = 1;
const ATTRIBUTE_TENSOR: u32 = 5;
const TENSOR_DIMS: u32 = 1;
const TENSOR_DATA_TYPE: u32 = 2;
const TENSOR_FLOAT_DATA: u32 = 4;
const TENSOR_RAW_DATA: u32 = 9;
const FLOAT: u64 = 1;

/// The rewritten model and the length scale its export baked in (`1 / speaking_rate`).
#[derive(Debug)]
pub(crate) struct SpeedGraph {
    pub bytes: Vec<u8>,
    pub baked: f32,
}

struct Node<'a> {
    field: Field<'a>,
    op: &'a str,
    inputs: Vec<&'a str>,
    outputs: Vec<&'a str>,
    attributes: Vec<&'a [u8]>,
}

fn text(payload: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(payload).map_err(|_| "a name is not UTF-8".to_owned())
}

fn node(f: Field<'_>) -> Result<Node<'_>, String> {
    let mut node = Node {
        field: f,
        op: "",
        inputs: Vec::new(),
        outputs: Vec::new(),
        attributes: Vec::new(),
    };
    for part in fields(f.payload)? {
        match part.number {
            field::NODE_INPUT => node.inputs.push(text(part.payload)?),
            field::NODE_OUTPUT => node.outputs.push(text(part.payload)?),
            NODE_OP_TYPE => node.op = text(part.payload)?,
            field::NODE_ATTRIBUTE => node.attributes.push(part.payload),
            _ => {}
        }
    }
    Ok(node)
}

/// The value of a float tensor holding exactly one number.
fn scalar_f32(tensor: &[u8]) -> Option<f32> {
    let mut data_type = None;
    let mut values = Vec::new();
    for f in fields(tensor).ok()? {
        match (f.number, f.wire) {
            // One dimension (not 1), or packed dimensions (any not 1): not a scalar.
            (TENSOR_DIMS, 0) if varint_value(f.record)? != 1 => return None,
            (TENSOR_DIMS, LEN) if f.payload.iter().any(|b| *b != 1) => return None,
            (TENSOR_DATA_TYPE, 0) => data_type = Some(varint_value(f.record)?),
            (TENSOR_FLOAT_DATA, 5) => values.extend_from_slice(f.payload),
            (TENSOR_FLOAT_DATA, LEN) | (TENSOR_RAW_DATA, LEN) => {
                values.extend_from_slice(f.payload)
            }
            _ => {}
        }
    }
    let bytes: [u8; 4] = values.as_slice().try_into().ok()?;
    (data_type == Some(FLOAT)).then(|| f32::from_le_bytes(bytes))
}

/// The value of a varint field, from its whole record (key, then value).
fn varint_value(record: &[u8]) -> Option<u64> {
    let mut at = 0;
    varint(record, &mut at).ok()?;
    varint(record, &mut at).ok()
}

/// The scalar a `Constant` node's `value` attribute holds.
fn constant_value(node: &Node<'_>) -> Option<f32> {
    if node.op != "Constant" {
        return None;
    }
    node.attributes.iter().find_map(|attribute| {
        let parts = fields(attribute).ok()?;
        let named_value = parts
            .iter()
            .any(|p| p.number == ATTRIBUTE_NAME && p.payload == b"value");
        let tensor = parts.iter().find(|p| p.number == ATTRIBUTE_TENSOR)?;
        named_value.then(|| scalar_f32(tensor.payload)).flatten()
    })
}

/// Where the length scale sits: the index of the `Mul` node, the name of its constant input,
/// and the constant's value.
struct Site<'a> {
    node: usize,
    constant: &'a str,
    value: f32,
}

fn find_site<'a>(
    nodes: &[Node<'a>],
    initializers: &HashMap<&'a str, f32>,
) -> Result<Site<'a>, String> {
    let producer: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.outputs.iter().map(move |o| (*o, i)))
        .collect();
    let op_of = |name: &str| producer.get(name).map(|i| nodes[*i].op);
    let scalar = |name: &str| {
        initializers
            .get(name)
            .copied()
            .or_else(|| producer.get(name).and_then(|i| constant_value(&nodes[*i])))
    };
    let mut sites = Vec::new();
    for ceil in nodes.iter().filter(|n| n.op == "Ceil") {
        let Some(&mul) = ceil.inputs.first().and_then(|i| producer.get(i)) else {
            continue;
        };
        let m = &nodes[mul];
        if m.op != "Mul" || m.inputs.len() != 2 {
            continue;
        }
        for (k, other) in [(0, 1), (1, 0)] {
            let (constant, product) = (m.inputs[k], m.inputs[other]);
            let from_exp = producer
                .get(product)
                .map(|p| &nodes[*p])
                .is_some_and(|p| p.op == "Mul" && p.inputs.iter().any(|i| op_of(i) == Some("Exp")));
            if let (true, Some(value)) = (from_exp, scalar(constant)) {
                sites.push(Site {
                    node: mul,
                    constant,
                    value,
                });
            }
        }
    }
    match sites.len() {
        1 => sites.pop().ok_or_else(|| "no length scale".to_owned()),
        0 => Err("no `ceil(exp(…) * mask * constant)` duration in the graph".to_owned()),
        n => Err(format!("{n} candidate length scales in the graph")),
    }
}

/// The declaration of the new input: float `[batch, 1, 1]`.
fn input_declaration() -> Vec<u8> {
    let mut batch = Vec::new();
    put_len(&mut batch, 2, b"length_scale_batch"); // Dimension.dim_param
    let mut one = Vec::new();
    put_varint(&mut one, 1 << 3); // Dimension.dim_value, varint
    put_varint(&mut one, 1);
    let mut shape = Vec::new();
    put_len(&mut shape, 1, &batch);
    put_len(&mut shape, 1, &one);
    put_len(&mut shape, 1, &one);
    let mut tensor = Vec::new();
    put_varint(&mut tensor, 1 << 3); // Tensor.elem_type = FLOAT
    put_varint(&mut tensor, FLOAT);
    put_len(&mut tensor, 2, &shape);
    let mut type_proto = Vec::new();
    put_len(&mut type_proto, 1, &tensor);
    let mut value_info = Vec::new();
    put_len(&mut value_info, field::VALUE_INFO_NAME, INPUT.as_bytes());
    put_len(&mut value_info, 2, &type_proto);
    value_info
}

/// `model` with its baked length scale replaced by the input [`INPUT`].
pub(crate) fn expose_length_scale(model: &[u8]) -> Result<SpeedGraph, String> {
    let (model_fields, graph) = split_model(model)?;
    let graph_fields = fields(graph)?;
    let mut nodes = Vec::new();
    let mut initializers = HashMap::new();
    for f in &graph_fields {
        match f.number {
            field::GRAPH_NODE => nodes.push(node(*f)?),
            field::GRAPH_INITIALIZER => {
                let name = string_field(f.payload, field::TENSOR_NAME)?;
                if let (Some(name), Some(value)) = (name, scalar_f32(f.payload)) {
                    initializers.insert(name, value);
                }
            }
            field::GRAPH_INPUT
                if string_field(f.payload, field::VALUE_INFO_NAME)? == Some(INPUT) =>
            {
                return Err(format!("the graph already has an input `{INPUT}`"));
            }
            _ => {}
        }
    }
    let site = find_site(&nodes, &initializers)?;
    if !(site.value.is_finite() && site.value > 0.0) {
        return Err(format!(
            "the baked length scale {} is not a positive number",
            site.value
        ));
    }
    let target = nodes[site.node].field.record;
    let mut new_node = Vec::with_capacity(target.len() + INPUT.len());
    for part in fields(nodes[site.node].field.payload)? {
        if part.number == field::NODE_INPUT && part.payload == site.constant.as_bytes() {
            put_len(&mut new_node, field::NODE_INPUT, INPUT.as_bytes());
        } else {
            new_node.extend_from_slice(part.record);
        }
    }
    let mut new_graph: Vec<Cow<'_, [u8]>> = graph_fields
        .iter()
        .map(|f| {
            if std::ptr::eq(f.record, target) {
                Cow::Owned(len_record(field::GRAPH_NODE, &new_node))
            } else {
                Cow::Borrowed(f.record)
            }
        })
        .collect();
    new_graph.push(Cow::Owned(len_record(
        field::GRAPH_INPUT,
        &input_declaration(),
    )));
    Ok(SpeedGraph {
        bytes: with_graph(&model_fields, &new_graph),
        baked: site.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(number: u32, s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, number, s);
        out
    }

    fn node_bytes(inputs: &[&str], outputs: &[&str], op: &str, extra: Vec<u8>) -> Vec<u8> {
        let mut parts: Vec<u8> = inputs
            .iter()
            .flat_map(|i| string(1, i.as_bytes()))
            .collect();
        parts.extend(outputs.iter().flat_map(|o| string(2, o.as_bytes())));
        parts.extend(string(NODE_OP_TYPE, op.as_bytes()));
        parts.extend(extra);
        string(field::GRAPH_NODE, &parts)
    }

    fn constant(output: &str, value: f32) -> Vec<u8> {
        let mut tensor = vec![2 << 3, 1]; // data_type = FLOAT
        tensor.extend(string(TENSOR_RAW_DATA, &value.to_le_bytes()));
        let mut attribute = string(ATTRIBUTE_NAME, b"value");
        attribute.extend(string(ATTRIBUTE_TENSOR, &tensor));
        node_bytes(
            &[],
            &[output],
            "Constant",
            string(field::NODE_ATTRIBUTE, &attribute),
        )
    }

    /// `ceil(exp(d) * mask * k)` with `k` = `scale`, plus a decoy `Mul` by a constant.
    fn model(scale: f32) -> Vec<u8> {
        let graph = [
            constant("k", scale),
            constant("noise", 0.667),
            node_bytes(&["d"], &["e"], "Exp", Vec::new()),
            node_bytes(&["e", "mask"], &["m"], "Mul", Vec::new()),
            node_bytes(&["m", "k"], &["scaled"], "Mul", Vec::new()),
            node_bytes(&["scaled"], &["dur"], "Ceil", Vec::new()),
            node_bytes(&["dur", "noise"], &["y"], "Mul", Vec::new()),
        ]
        .concat();
        let mut out = vec![8u8, 8];
        out.extend(string(field::MODEL_GRAPH, &graph));
        out
    }

    #[test]
    fn the_duration_constant_becomes_an_input() {
        let rewritten = expose_length_scale(&model(0.5)).unwrap();
        assert_eq!(rewritten.baked, 0.5);
        let all = fields(&rewritten.bytes).unwrap();
        assert_eq!(all[0].record, &[8u8, 8], "other model fields are copied");
        let graph = all.iter().find(|f| f.number == field::MODEL_GRAPH).unwrap();
        let graph_fields = fields(graph.payload).unwrap();
        let nodes: Vec<Node<'_>> = graph_fields
            .iter()
            .filter(|f| f.number == field::GRAPH_NODE)
            .map(|f| node(*f).unwrap())
            .collect();
        assert_eq!(nodes[4].inputs, ["m", INPUT]);
        assert_eq!(nodes[6].inputs, ["dur", "noise"], "the decoy is untouched");
        let inputs: Vec<_> = graph_fields
            .iter()
            .filter(|f| f.number == field::GRAPH_INPUT)
            .map(|f| super::string_field(f.payload, 1).unwrap().unwrap())
            .collect();
        assert_eq!(inputs, [INPUT]);
        assert!(
            expose_length_scale(&rewritten.bytes).is_err(),
            "a second rewrite finds no constant left to replace"
        );
    }

    #[test]
    fn graphs_without_the_pattern_are_refused() {
        let mut out = vec![8u8, 8];
        out.extend(string(
            field::MODEL_GRAPH,
            &node_bytes(&["a", "b"], &["c"], "Mul", Vec::new()),
        ));
        assert!(expose_length_scale(&out).is_err());
        assert!(expose_length_scale(b"\xff\xff").is_err());
    }
}
