//! Audio bodies declared so that client generators see binary bodies.
//!
//! Why: a body of `audio/*` is binary to a person, but generators decide by the media type, and
//! most know only JSON, `text/*` and `application/octet-stream` (`openapi-python-client` drops
//! any operation whose responses are all of other types). So every response that offers
//! `audio/*` gets, per audio type, a schema of `type: string, format: binary` with that type as
//! `contentMediaType` (OpenAPI 3.1's way to say "these bytes are audio/wav"), and one more entry,
//! `application/octet-stream`, for generators that know no audio types: the same bytes, whose
//! real type the response's `Content-Type` names (the server sends the `audio/*` type).

use utoipa::openapi::content::Content;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{OpenApi as Document, PathItem, RefOr};

/// The media type generators read as bytes.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Declare every audio response of `doc` as binary.
pub fn declare(doc: &mut Document) {
    if let Some(components) = doc.components.as_mut() {
        for response in components.responses.values_mut() {
            if let RefOr::T(response) = response {
                audio_is_binary(response);
            }
        }
    }
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    audio_is_binary(response);
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// `type: string, format: binary`, with `media` as `contentMediaType`.
fn binary(media: Option<&str>) -> Schema {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
    match media {
        Some(media) => schema.content_media_type(media).into(),
        None => schema.into(),
    }
}

/// Rewrites `response`'s audio entries and adds [`OCTET_STREAM`] after them (before any other
/// entry: generators take the first media type they know).
fn audio_is_binary(response: &mut Response) {
    if !response
        .content
        .keys()
        .any(|media| media.starts_with("audio/"))
    {
        return;
    }
    let (audio, others): (Vec<_>, Vec<_>) = std::mem::take(&mut response.content)
        .into_iter()
        .partition(|(media, _)| media.starts_with("audio/"));
    let audio = audio.into_iter().map(|(media, _)| {
        let content = RefOr::T(Content::new(Some(binary(Some(&media)))));
        (media, content)
    });
    let generic = (
        OCTET_STREAM.to_owned(),
        RefOr::T(Content::new(Some(binary(None)))),
    );
    response.content = audio
        .chain(std::iter::once(generic))
        .chain(others)
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::ResponseBuilder;

    #[test]
    fn audio_gets_its_media_type_and_a_generic_binary_entry() {
        let mut response = ResponseBuilder::new()
            .description("audio")
            .content("audio/wav", Content::new(None::<Schema>))
            .content("text/event-stream", Content::new(None::<Schema>))
            .build();
        audio_is_binary(&mut response);
        let json = serde_json::to_value(&response).unwrap();
        let wav = &json["content"]["audio/wav"]["schema"];
        assert_eq!(wav["type"], "string");
        assert_eq!(wav["format"], "binary");
        assert_eq!(wav["contentMediaType"], "audio/wav");
        assert_eq!(json["content"][OCTET_STREAM]["schema"]["format"], "binary");
        let order: Vec<&String> = response.content.keys().collect();
        assert_eq!(order, ["audio/wav", OCTET_STREAM, "text/event-stream"]);

        let mut json_only = ResponseBuilder::new()
            .description("json")
            .content("application/json", Content::new(None::<Schema>))
            .build();
        audio_is_binary(&mut json_only);
        assert_eq!(json_only.content.len(), 1, "other bodies are left alone");
    }
}
