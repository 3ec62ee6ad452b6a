-- Text with NUL (U+0000) is refused from now on (422). Tag lists stored
-- before that could hold an escaped NUL ("x\u0000"), which the jsonb cast
-- of every `?tag=` filter rejected (500 for everyone); drop it from every
-- stored list. With standard_conforming_strings (the default) '\u0000' is
-- the six characters of the JSON escape.
UPDATE items SET tags_json = replace(tags_json, '\u0000', '')
WHERE strpos(tags_json, '\u0000') > 0;
