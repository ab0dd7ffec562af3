from tortoise import migrations
from tortoise.migrations import operations as ops

# the masks of authz.masking as SQL functions, for reads compiled to one statement (api/compiled):
# the same text for every value (ASCII digits and white space, lengths in characters); SQLite
# gets them as functions registered on its connection instead
_SPACE = r"E' \t\n\r\f\v'"
_TWO_DIGIT_CODES = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 "
    "63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
).split()
_CODES = ", ".join(f"'{c}'" for c in _TWO_DIGIT_CODES)

CREATE = [
    """
CREATE OR REPLACE FUNCTION lg_mask_keep(value text, head int, tail int) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE size int := char_length(value);
BEGIN
  IF size <= 4 THEN RETURN repeat('*', size); END IF;
  IF size - head - tail < 4 THEN head := 0; END IF;
  tail := least(tail, size - head - 4);
  RETURN substr(value, 1, head) || repeat('*', size - head - tail)
      || substr(value, size - tail + 1);
END $$""",
    f"""
CREATE OR REPLACE FUNCTION lg_mask_id_number(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lg_mask_keep(translate(value, {_SPACE}, ''), 6, 4)
$$""",
    f"""
CREATE OR REPLACE FUNCTION lg_mask_phone(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  trimmed text := btrim(value, {_SPACE});
  digits text := regexp_replace(trimmed, '[^0-9]', '', 'g');
  code text;
BEGIN
  IF digits = '' THEN RETURN repeat('*', char_length(trimmed)); END IF;
  IF left(trimmed, 1) = '+' OR left(trimmed, 2) = '00' THEN
    IF left(trimmed, 2) = '00' THEN digits := substr(digits, 3); END IF;
    IF left(digits, 1) IN ('1', '7') THEN code := left(digits, 1);
    ELSIF left(digits, 2) IN ({_CODES}) THEN code := left(digits, 2);
    ELSE code := left(digits, 3);
    END IF;
    RETURN '+' || code || ' ' || lg_mask_keep(substr(digits, char_length(code) + 1), 3, 4);
  END IF;
  RETURN lg_mask_keep(digits, 3, 4);
END $$""",
]
DROP = [
    "DROP FUNCTION IF EXISTS lg_mask_phone(text)",
    "DROP FUNCTION IF EXISTS lg_mask_id_number(text)",
    "DROP FUNCTION IF EXISTS lg_mask_keep(text, int, int)",
]


async def create(apps, schema_editor):
    await _on_postgres(schema_editor, CREATE)


async def drop(apps, schema_editor):
    await _on_postgres(schema_editor, DROP)


async def _on_postgres(schema_editor, statements):
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql + ";")
        else:
            await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0026_profile_fillfactor")]

    initial = False

    operations = [ops.RunPython(create, drop)]
