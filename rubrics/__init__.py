"""The bundled rubrics, installed as `rubric_dsl.bundled`: each region's rubrics, test cases and seed facts."""
