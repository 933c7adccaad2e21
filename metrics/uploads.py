from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

MULTIPART_ALLOWANCE = 64 * 1024  # room for the form's other fields and the multipart framing


class RefuseOversizedUpload(FileUploadHandler):
    """Refuse a metric upload from its declared length, before a byte of it is read or spooled."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.METRIC_IMPORT_MAX_BYTES + MULTIPART_ALLOWANCE:
            self.request.refused_upload_bytes = content_length
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
