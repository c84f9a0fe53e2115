/** Create a white-box key (CreateWhiteBoxKey): AES_256 or SM4, alias, description, tags. */
import { useState } from "preact/hooks";
import { WhiteBoxAlgorithm } from "../../../gen/kms/v1/whitebox_pb.js";
import type { RouteContext } from "../../core/family.js";
import { href, navigate } from "../../core/router.js";
import { TagEditor, tagsOf, type TagInput } from "../../core/tags.js";
import { Failure, Field, Form, Select, TextArea, useAction } from "../../core/ui.js";

export function CreateWhiteBoxKey({ api }: RouteContext) {
  const [alias, setAlias] = useState("");
  const [algorithm, setAlgorithm] = useState(String(WhiteBoxAlgorithm.AES_256));
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState<TagInput[]>([]);
  const action = useAction();
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/whitebox">White-box keys</a>
          </li>
          <li>Create white-box key</li>
        </ul>
      </nav>
      <h1>Create white-box key</h1>
      <Form
        label="Create white-box key"
        onSubmit={() =>
          action.run(async () => {
            const r = await api.whitebox.createWhiteBoxKey({ alias, algorithm: Number(algorithm) as WhiteBoxAlgorithm, description, tags: tagsOf(tags) });
            navigate(href("whitebox", r.keyId));
          })
        }
      >
        <Field label="Alias" value={alias} onValue={setAlias} required maxLength={60} hint="1 to 60 letters, digits, - and _, starting with a letter or digit; unique among white-box keys. The kms- prefix is reserved." />
        <Select
          label="Algorithm"
          value={algorithm}
          onValue={setAlgorithm}
          options={[
            { value: String(WhiteBoxAlgorithm.AES_256), label: "AES_256 (tables after Chow et al., about 750 KB per direction)" },
            { value: String(WhiteBoxAlgorithm.SM4), label: "SM4 (tables after Xiao–Lai, about 150 KB per direction)" },
          ]}
        />
        <TextArea label="Description" value={description} onValue={setDescription} rows={2} hint="At most 1024 bytes." />
        <TagEditor tags={tags} onTags={setTags} />
        <Failure failure={action.failure} />
        <button type="submit" aria-busy={action.busy ? "true" : undefined} disabled={action.busy}>
          Create white-box key
        </button>
      </Form>
    </>
  );
}
