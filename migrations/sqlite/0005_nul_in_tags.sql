-- Text with NUL (U+0000) is refused from now on (422). Tag lists stored
-- before that could hold an escaped NUL ("x\u0000"), which PostgreSQL's
-- jsonb cast rejects; drop it from every stored list, on both backends.
UPDATE items SET tags_json = replace(tags_json, '\u0000', '')
WHERE instr(tags_json, '\u0000') > 0;
