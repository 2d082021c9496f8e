"""The SAM transform (``Transform: AWS::Serverless-2016-10-31``), expanded by AWS's own
``aws-sam-translator``, the library CloudFormation's transform runs: ``AWS::Serverless::*``
resources (functions with their events, APIs, simple tables, layers, state machines...) and
``Globals`` become the plain CloudFormation resources the providers make. The translator's
bundled map names AWS's managed policies (moto's IAM does not hold them)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import boto3

from lambdaport.services.cloudformation.templates import SAM_TRANSFORM, validation_error


def expand_sam(
    template: Mapping[str, Any], parameters: Mapping[str, Any], region: str
) -> dict[str, Any]:
    """The template with its SAM resources translated (AWS's messages for invalid ones)."""
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session)
    try:
        translated = translator.translate(
            sam_template=copy.deepcopy(dict(template)), parameter_values=dict(parameters)
        )
    except (InvalidDocumentException, InvalidResourceException) as error:
        raise validation_error(f"Transform {SAM_TRANSFORM} failed with: {error.message}") from None
    return dict(translated)
