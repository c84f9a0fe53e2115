/** Tag inputs the families share: tags to set on a new resource, and tag conditions of a list filter. */
import { Field } from "./ui.js";

export interface TagInput {
  key: string;
  value: string;
}

export interface TagFilterInput {
  key: string;
  /** Comma-separated accepted values; empty accepts any value. */
  values: string;
}

/** Rows "Tag key n" / "Tag value n", with add and remove. */
export function TagEditor({ tags, onTags }: { tags: TagInput[]; onTags: (t: TagInput[]) => void }) {
  return (
    <fieldset>
      <legend>Tags</legend>
      {tags.map((t, i) => (
        <div class="grid tag-row" key={i}>
          <Field label={`Tag key ${i + 1}`} value={t.key} onValue={(key) => onTags(tags.map((x, j) => (j === i ? { ...x, key } : x)))} />
          <Field label={`Tag value ${i + 1}`} value={t.value} onValue={(value) => onTags(tags.map((x, j) => (j === i ? { ...x, value } : x)))} />
          <button type="button" class="secondary outline" aria-label={`Remove tag ${i + 1}`} onClick={() => onTags(tags.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="secondary outline" onClick={() => onTags([...tags, { key: "", value: "" }])}>
        Add tag
      </button>
    </fieldset>
  );
}

/** The tags as the API takes them (rows left empty are dropped). */
export function tagsOf(tags: readonly TagInput[]): { tagKey: string; tagValue: string }[] {
  return tags.filter((t) => t.key !== "" || t.value !== "").map((t) => ({ tagKey: t.key, tagValue: t.value }));
}

/** Rows "Tag key n" / "Values of tag n" of a list's tag conditions. */
export function TagFilterEditor({ tags, onTags, legend }: { tags: TagFilterInput[]; onTags: (t: TagFilterInput[]) => void; legend: string }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {tags.map((t, i) => (
        <div class="grid tag-row" key={i}>
          <Field label={`Tag key ${i + 1}`} value={t.key} onValue={(key) => onTags(tags.map((x, j) => (j === i ? { ...x, key } : x)))} />
          <Field label={`Values of tag ${i + 1}`} hint="Comma-separated; empty: any value" value={t.values} onValue={(values) => onTags(tags.map((x, j) => (j === i ? { ...x, values } : x)))} />
          <button type="button" class="secondary outline" aria-label={`Remove tag filter ${i + 1}`} onClick={() => onTags(tags.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="secondary outline" onClick={() => onTags([...tags, { key: "", values: "" }])}>
        Add tag filter
      </button>
    </fieldset>
  );
}

/** The tag conditions as the API takes them: rows without a key are dropped. */
export function tagFiltersOf(tags: readonly TagFilterInput[]): { tagKey: string; tagValue: string[] }[] {
  return tags
    .filter((t) => t.key.trim() !== "")
    .map((t) => ({
      tagKey: t.key.trim(),
      tagValue: t.values
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean),
    }));
}

/** Tags as "key=value" chips. */
export function TagList({ tags }: { tags: readonly { tagKey: string; tagValue: string }[] }) {
  if (tags.length === 0) return <>none</>;
  return (
    <ul class="tags">
      {tags.map((t) => (
        <li key={t.tagKey}>
          <code>
            {t.tagKey}={t.tagValue}
          </code>
        </li>
      ))}
    </ul>
  );
}
